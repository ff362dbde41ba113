"""The Celery application the calibration lab's real worker runs (``celery -A`` this module).

Two tasks that differ only in ``acks_late`` (a per-task option in Celery), so one worker serves
both ack modes: ``asynclab.sleep`` (early ack, Celery's default) and ``asynclab.sleep_late``.
Each sleeps for the service time the trace gives it, the way a task waiting on I/O does, then
pushes ``[task id, pid, body start, body end]`` (``time.monotonic``, one clock for every process
on the machine) onto a Redis list, standing in for storing a result. The broker URL and the
prefetch multiplier come from environment variables set by :mod:`sim.calibrate.harness`.
"""

from __future__ import annotations

import json
import os
import time

import redis
from celery import Celery

BROKER_URL = os.environ.get("ASYNCLAB_BROKER_URL", "redis://127.0.0.1:6379/0")
TASK_NAMES = {False: "asynclab.sleep", True: "asynclab.sleep_late"}  # by acks_late


def make_app(broker_url: str, prefetch: int = 1) -> Celery:
    """A Celery app on ``broker_url`` (the worker's, or the publishing client's)."""
    celery = Celery("asynclab_calibration", broker=broker_url)
    celery.conf.update(
        worker_prefetch_multiplier=prefetch,
        task_ignore_result=True,  # no result backend: the task reports its times itself
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return celery


app = make_app(BROKER_URL, int(os.environ.get("ASYNCLAB_PREFETCH", "1")))
_records: redis.Redis | None = None  # one connection per pool process, made after the fork


def _sleep(task_id: int, service_s: float, record_key: str) -> None:
    start = time.monotonic()
    time.sleep(service_s)
    end = time.monotonic()
    global _records
    if _records is None:
        _records = redis.Redis.from_url(BROKER_URL)
    _records.rpush(record_key, json.dumps([task_id, os.getpid(), start, end]))


sleep_task = app.task(name=TASK_NAMES[False], acks_late=False)(_sleep)
sleep_task_late = app.task(name=TASK_NAMES[True], acks_late=True)(_sleep)
