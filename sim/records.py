"""The run's records: what happened to every request, task and attempt, and levels over time.

During the run everything goes into compact ``array`` columns (appends and index writes only);
DataFrames are built once, at the end. Levels (queue depth, busy threads, busy worker slots)
keep their exact time integral, so time averages are exact, and are sampled on a fixed grid for
the time series (mean and maximum within each bin).
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import pandas as pd

NAN = float("nan")

# shed: refused at once by load shedding (web.max_queue); expired: skipped after its deadline
# or Celery expires; short_circuited: refused by an open circuit breaker (no downstream call)
REQUEST_OUTCOMES = ("in_flight", "completed", "failed", "timed_out", "shed")
TASK_STATES = ("in_queue", "in_progress", "succeeded", "failed", "dead_lettered", "lost",
               "expired")
ATTEMPT_OUTCOMES = ("running", "success", "failure", "killed", "short_circuited")

IN_FLIGHT, COMPLETED, FAILED, TIMED_OUT, SHED = range(5)
IN_QUEUE, IN_PROGRESS, SUCCEEDED, TASK_FAILED, DEAD_LETTERED, LOST, EXPIRED = range(7)
RUNNING, SUCCESS, FAILURE, KILLED, SHORT_CIRCUITED = range(5)


class Level:
    """A quantity that steps up and down over time (queue depth, busy slots)."""

    __slots__ = ("area", "capacity", "last", "peak", "value")

    def __init__(self, capacity: float = NAN) -> None:
        self.value = 0
        self.area = 0.0
        self.last = 0.0
        self.peak = 0
        self.capacity = capacity

    def add(self, now: float, delta: int) -> None:
        self.area += self.value * (now - self.last)
        self.last = now
        value = self.value = self.value + delta
        if value > self.peak:
            self.peak = value

    def area_at(self, now: float) -> float:
        return self.area + self.value * (now - self.last)


class Recorder:
    """Columns for requests, tasks and attempts, written while the simulation runs."""

    def __init__(self, level_names: tuple[str, ...]) -> None:
        self.req_arrival = array("d")
        self.req_start = array("d")
        self.req_end = array("d")
        self.req_outcome = array("b")
        self.req_retry = array("b")
        self.task_request = array("l")
        self.task_published = array("d")
        self.task_first_start = array("d")
        self.task_finished = array("d")
        self.task_state = array("b")
        self.task_attempts = array("h")
        self.task_duplicates = array("h")
        self.task_redeliveries = array("h")
        self.task_partition = array("h")
        self.task_reason: dict[int, str] = {}
        self.att_task = array("l")
        self.att_number = array("h")
        self.att_worker = array("h")
        self.att_enqueued = array("d")
        self.att_start = array("d")
        self.att_end = array("d")
        self.att_outcome = array("b")
        self.levels = {name: Level() for name in level_names}
        self.samples: dict[str, list[float]] = {"time": []}
        for name in level_names:
            self.samples[f"{name}_mean"] = []
            self.samples[f"{name}_max"] = []
        self._bin_area = {name: 0.0 for name in level_names}
        self._bin_start = 0.0

    # --- requests ---------------------------------------------------------------------
    def new_request(self, now: float, retry: bool = False) -> int:
        self.req_arrival.append(now)
        self.req_start.append(NAN)
        self.req_end.append(NAN)
        self.req_outcome.append(IN_FLIGHT)
        self.req_retry.append(retry)
        return len(self.req_arrival) - 1

    # --- tasks ------------------------------------------------------------------------
    def new_task(self, request: int, now: float) -> int:
        self.task_request.append(request)
        self.task_published.append(now)
        self.task_first_start.append(NAN)
        self.task_finished.append(NAN)
        self.task_state.append(IN_QUEUE)
        self.task_attempts.append(0)
        self.task_duplicates.append(0)
        self.task_redeliveries.append(0)
        self.task_partition.append(-1)
        return len(self.task_request) - 1

    # --- attempts ---------------------------------------------------------------------
    def new_attempt(self, task: int, number: int, worker: int, enqueued: float,
                    now: float) -> int:
        self.att_task.append(task)
        self.att_number.append(number)
        self.att_worker.append(worker)
        self.att_enqueued.append(enqueued)
        self.att_start.append(now)
        self.att_end.append(NAN)
        self.att_outcome.append(RUNNING)
        if self.task_first_start[task] != self.task_first_start[task]:  # NaN: first start
            self.task_first_start[task] = now
        self.task_attempts[task] += 1
        return len(self.att_task) - 1

    def end_attempt(self, attempt: int, now: float, outcome: int) -> None:
        self.att_end[attempt] = now
        self.att_outcome[attempt] = outcome

    # --- levels -----------------------------------------------------------------------
    def sample(self, now: float) -> None:
        """Close the time bin ending at ``now``: record each level's mean and max in it."""
        width = now - self._bin_start
        self.samples["time"].append(now)
        for name, level in self.levels.items():
            area = level.area_at(now)
            mean = (area - self._bin_area[name]) / width if width > 0 else float(level.value)
            self.samples[f"{name}_mean"].append(mean)
            self.samples[f"{name}_max"].append(float(max(level.peak, level.value)))
            self._bin_area[name] = area
            level.peak = level.value
        self._bin_start = now

    # --- frames -----------------------------------------------------------------------
    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "requests": pd.DataFrame({
                "request_id": np.arange(len(self.req_arrival)),
                "arrival": np.array(self.req_arrival, dtype=float),
                "start": np.array(self.req_start, dtype=float),
                "end": np.array(self.req_end, dtype=float),
                "outcome": _categorical(self.req_outcome, REQUEST_OUTCOMES),
                "client_retry": np.array(self.req_retry, dtype=bool),
            }),
            "tasks": pd.DataFrame({
                "task_id": np.arange(len(self.task_request)),
                "request_id": np.array(self.task_request, dtype=np.int64),
                "published": np.array(self.task_published, dtype=float),
                "first_start": np.array(self.task_first_start, dtype=float),
                "finished": np.array(self.task_finished, dtype=float),
                "state": _categorical(self.task_state, TASK_STATES),
                "attempts": np.array(self.task_attempts, dtype=np.int16),
                "duplicates": np.array(self.task_duplicates, dtype=np.int16),
                "redeliveries": np.array(self.task_redeliveries, dtype=np.int16),
                "partition": np.array(self.task_partition, dtype=np.int16),
                "reason": pd.Categorical([self.task_reason.get(i, "")
                                          for i in range(len(self.task_request))]),
            }),
            "attempts": pd.DataFrame({
                "task_id": np.array(self.att_task, dtype=np.int64),
                "attempt": np.array(self.att_number, dtype=np.int16),
                "worker": np.array(self.att_worker, dtype=np.int16),
                "enqueued": np.array(self.att_enqueued, dtype=float),
                "start": np.array(self.att_start, dtype=float),
                "end": np.array(self.att_end, dtype=float),
                "outcome": _categorical(self.att_outcome, ATTEMPT_OUTCOMES),
            }),
            "timeseries": pd.DataFrame({k: np.asarray(v, dtype=float)
                                        for k, v in self.samples.items()}),
        }


def _categorical(codes: array, names: tuple[str, ...]) -> Any:
    return pd.Categorical.from_codes(np.array(codes, dtype=np.int8), categories=list(names))
