"""Real components for the calibration lab: a ``redis-server`` and a Celery worker on loopback.

:class:`Lab` starts a Redis server on 127.0.0.1 on a free port (no persistence, files in a
scratch directory) and a real Celery worker (prefork pool, ``-O fair``, gossip, mingle and
heartbeat off). :meth:`Lab.replay` publishes a trace's tasks at its times, as early-ack or
``acks_late`` tasks (one worker serves both), and collects, per task, the publish time and the
body's start and end as the worker saw them. Every process started here is stopped by its
process id when the lab closes, also on an error or Ctrl-C. This module measures a real
system, so it reads the clock; the simulator itself never does.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import numpy as np

from sim.calibrate.measure import RealRun
from sim.calibrate.trace import Trace

REPO = Path(__file__).resolve().parents[2]
INSTALL = {"celery": "pip install -r requirements-dev.txt",
           "redis": "pip install -r requirements-dev.txt",
           "redis-server": "apt-get install -y redis-server"}
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
LEAD_S = 0.5  # between the last check and the trace's first task
WARMUP_TASKS = 6  # fork, import and connect costs of each pool process, paid before measuring


class LabUnavailable(RuntimeError):
    """Celery, redis-py or redis-server is missing; the message says what to install."""


class LabError(RuntimeError):
    """A real component did not start or did not finish the trace."""


def missing_tools() -> list[str]:
    """What the lab needs and cannot find (empty when everything is there)."""
    missing = [name for name in ("celery", "redis") if importlib.util.find_spec(name) is None]
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def install_hint(missing: list[str]) -> str:
    """One line: what is missing and how to install it."""
    how = " and ".join(dict.fromkeys(INSTALL[name] for name in missing))
    return f"calibrate needs {', '.join(missing)} (not installed): {how}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Lab:
    """A Redis server and a Celery worker, stopped on exit."""

    def __init__(self, workdir: Path, concurrency: int = 2, prefetch: int = 1) -> None:
        self.workdir = Path(workdir)
        self.concurrency = concurrency
        self.prefetch = prefetch
        self.port = 0
        self.url = ""
        self._redis: subprocess.Popen | None = None
        self._worker: subprocess.Popen | None = None
        self._logs: list[IO] = []
        self._client = None
        self._app = None
        self._runs = 0

    # --- lifetime ---------------------------------------------------------------------
    def __enter__(self) -> Lab:
        missing = missing_tools()
        if missing:
            raise LabUnavailable(install_hint(missing))
        try:
            self._start_redis()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stop_worker()
        for client in (self._app, self._client):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
        _stop(self._redis)
        self._redis = None
        for log in self._logs:
            log.close()
        self._logs.clear()

    def _log(self, name: str) -> IO:
        log = open(self.workdir / name, "ab")  # noqa: SIM115 - closed in close()
        self._logs.append(log)
        return log

    def _start_redis(self) -> None:
        import redis

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._redis = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            cwd=str(self.workdir), stdout=self._log("redis.log"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self._client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self._redis.poll() is not None:
                raise LabError(f"redis-server exited at start (see {self.workdir}/redis.log)")
            try:
                self._client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise LabError("redis-server did not answer within "
                                   f"{READY_TIMEOUT_S:g} s") from None
                time.sleep(0.05)

    def start_worker(self) -> None:
        """A fresh Celery worker; ready once it has run warm-up tasks."""
        from sim.calibrate.celery_app import make_app

        self.stop_worker()
        env = dict(os.environ, ASYNCLAB_BROKER_URL=self.url,
                   ASYNCLAB_PREFETCH=str(self.prefetch),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                            os.environ.get("PYTHONPATH")])))
        self._worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sim.calibrate.celery_app", "worker",
             f"--concurrency={self.concurrency}", "--pool=prefork", "-O", "fair",
             f"--prefetch-multiplier={self.prefetch}", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
            env=env, cwd=str(self.workdir), stdout=self._log("worker.log"),
            stderr=subprocess.STDOUT, start_new_session=True)
        self._app = make_app(self.url)
        self._warm_up()

    def stop_worker(self) -> None:
        _stop(self._worker)
        self._worker = None

    # --- replaying ----------------------------------------------------------------------
    def _warm_up(self) -> None:
        from sim.calibrate.celery_app import TASK_NAMES

        key = self._key("warmup")
        for i in range(WARMUP_TASKS):
            self._app.send_task(TASK_NAMES[i % 2 == 1], args=[i, 0.02, key])
        self._collect(key, WARMUP_TASKS, READY_TIMEOUT_S)
        time.sleep(0.3)

    def _key(self, what: str) -> str:
        self._runs += 1
        return f"asynclab:calibration:{what}:{self._runs}"

    def replay(self, trace: Trace, acks_late: bool, drain_timeout_s: float = 120.0) -> RealRun:
        """Publish the trace's tasks at its times; wait until all ran; what happened to each."""
        from sim.calibrate.celery_app import TASK_NAMES

        if self._worker is None or self._app is None:
            raise LabError("no worker running: call start_worker first")
        key = self._key("run")
        send, name = self._app.send_task, TASK_NAMES[acks_late]
        n = len(trace.publish_s)
        published = np.empty(n)
        t0 = time.monotonic() + LEAD_S
        for i, (at, service) in enumerate(zip(trace.publish_s.tolist(),
                                              trace.service_s.tolist(), strict=True)):
            pause = t0 + at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            published[i] = time.monotonic() - t0
            send(name, args=[i, service, key])
        rows = self._collect(key, n, drain_timeout_s)
        started, ended, pid = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=int)
        for task, proc, start, end in rows:
            started[task], ended[task], pid[task] = start - t0, end - t0, proc
        return RealRun(published, started, ended, pid, trace.service_s.copy(),
                       published - trace.publish_s)

    def _collect(self, key: str, n: int, timeout_s: float) -> list[list]:
        client = self._client
        deadline = time.monotonic() + timeout_s
        while client.llen(key) < n:
            if self._worker is not None and self._worker.poll() is not None:
                raise LabError(f"the Celery worker exited (see {self.workdir}/worker.log)")
            if time.monotonic() > deadline:
                raise LabError(f"only {client.llen(key)} of {n} tasks ran within "
                               f"{timeout_s:g} s (see {self.workdir}/worker.log)")
            time.sleep(0.05)
        rows = [json.loads(item) for item in client.lrange(key, 0, -1)]
        client.delete(key)
        return rows


def _stop(proc: subprocess.Popen | None) -> None:
    """Stop a process this module started: SIGTERM (a Celery worker then stops its pool),
    then SIGKILL to the process group it leads, where its pool children also live. A group
    id stays taken while any member lives, so the group kill reaches only what we started."""
    if proc is None:
        return
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # start_new_session: the group id is its pid
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(STOP_TIMEOUT_S)
