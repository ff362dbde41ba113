"""The run's records: what happened to every request, task and attempt, and levels over time.

During the run everything goes into compact ``array`` columns (appends and index writes only);
DataFrames are built once, at the end. Levels (queue depth, busy threads, busy worker slots)
keep their exact time integral, so time averages are exact, and are sampled on a fixed grid for
the time series (mean and maximum within each bin).

The recorder also counts the run's *work*: every request and attempt (and whatever else the
engine adds with :meth:`Recorder.count`). Every ``CHECK_EVERY`` units, and exactly at the work
limit, it calls ``checkpoint`` so the run can stop at its bound (``limits.max_events``). Per-task
counters are 32-bit: a task can never be attempted or redelivered more often than the work bound.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
import pandas as pd

NAN = float("nan")

# shed: refused at once by load shedding (web.max_queue); expired: skipped after its deadline
# or Celery expires; short_circuited: refused by an open circuit breaker (no downstream call);
# dropped: discarded by the broker without a dead-letter exchange (overflow, TTL, delivery
# limit). A task's state only moves forward; every state from "succeeded" on is final (append
# new final states at the end, so that ``state >= SUCCEEDED`` keeps meaning "settled").
REQUEST_OUTCOMES = ("in_flight", "completed", "failed", "timed_out", "shed")
TASK_STATES = ("in_queue", "in_progress", "succeeded", "failed", "dead_lettered", "lost",
               "expired", "dropped")
ATTEMPT_OUTCOMES = ("running", "success", "failure", "killed", "short_circuited")

IN_FLIGHT, COMPLETED, FAILED, TIMED_OUT, SHED = range(5)
IN_QUEUE, IN_PROGRESS, SUCCEEDED, TASK_FAILED, DEAD_LETTERED, LOST, EXPIRED, DROPPED = range(8)
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


CHECK_EVERY = 4096  # work units between two checkpoints: cheap, and a stop comes soon


class Recorder:
    """Columns for requests, tasks and attempts, written while the simulation runs."""

    def __init__(self, level_names: tuple[str, ...], work_limit: int = 1 << 62) -> None:
        self.work = 0  # requests + attempts + other counted events so far
        self.work_limit = work_limit
        self._check_at = min(CHECK_EVERY, work_limit)
        self.checkpoint: Any = lambda: None  # set by the run: limit and cancellation checks
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
        self.task_attempts = array("i")
        self.task_duplicates = array("i")
        self.task_redeliveries = array("i")
        self.task_partition = array("h")
        self.task_reason: dict[int, str] = {}
        self.att_task = array("l")
        self.att_number = array("i")
        self.att_worker = array("h")
        self.att_enqueued = array("d")
        self.att_start = array("d")
        self.att_end = array("d")
        self.att_outcome = array("b")
        self.levels = {name: Level() for name in level_names}
        self.samples: dict[str, array] = {"time": array("d")}
        for name in level_names:
            self.samples[f"{name}_mean"] = array("d")
            self.samples[f"{name}_max"] = array("d")
        self._columns = [(self.levels[name], self.samples[f"{name}_mean"],
                          self.samples[f"{name}_max"]) for name in level_names]
        self._bin_areas = [0.0] * len(level_names)
        self._bin_start = 0.0

    # --- work -------------------------------------------------------------------------
    def count(self, units: int = 1) -> None:
        """Count work that is neither a request nor an attempt (a redelivery, a timer)."""
        self.work += units
        if self.work >= self._check_at:
            self._checkpoint()

    def _checkpoint(self) -> None:
        self._check_at = min(self.work + CHECK_EVERY, max(self.work_limit, self.work + 1))
        self.checkpoint()

    # --- requests ---------------------------------------------------------------------
    def new_request(self, now: float, retry: bool = False) -> int:
        self.work += 1
        if self.work >= self._check_at:
            self._checkpoint()
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
        self.work += 1
        if self.work >= self._check_at:
            self._checkpoint()
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
        areas = self._bin_areas
        for i, (level, means, maxes) in enumerate(self._columns):
            value = level.value
            area = level.area + value * (now - level.last)
            means.append((area - areas[i]) / width if width > 0 else float(value))
            maxes.append(float(max(level.peak, value)))
            areas[i] = area
            level.peak = value
        self._bin_start = now

    # --- frames -----------------------------------------------------------------------
    def frames(self) -> dict[str, pd.DataFrame]:
        """The records as DataFrames. Columns are views of the recorder's arrays (no copy: the
        largest allowed run must fit in memory), so the recorder is done once this is called."""
        frame = _frame
        return {
            "requests": frame({
                "request_id": np.arange(len(self.req_arrival)),
                "arrival": _view(self.req_arrival, float),
                "start": _view(self.req_start, float),
                "end": _view(self.req_end, float),
                "outcome": _categorical(self.req_outcome, REQUEST_OUTCOMES),
                "client_retry": _view(self.req_retry, np.int8).astype(bool),
            }),
            "tasks": frame({
                "task_id": np.arange(len(self.task_request)),
                "request_id": _view(self.task_request, np.int64),
                "published": _view(self.task_published, float),
                "first_start": _view(self.task_first_start, float),
                "finished": _view(self.task_finished, float),
                "state": _categorical(self.task_state, TASK_STATES),
                "attempts": _view(self.task_attempts, np.int32),
                "duplicates": _view(self.task_duplicates, np.int32),
                "redeliveries": _view(self.task_redeliveries, np.int32),
                "partition": _view(self.task_partition, np.int16),
                "reason": _reasons(self.task_reason, len(self.task_request)),
            }),
            "attempts": frame({
                "task_id": _view(self.att_task, np.int64),
                "attempt": _view(self.att_number, np.int32),
                "worker": _view(self.att_worker, np.int16),
                "enqueued": _view(self.att_enqueued, float),
                "start": _view(self.att_start, float),
                "end": _view(self.att_end, float),
                "outcome": _categorical(self.att_outcome, ATTEMPT_OUTCOMES),
            }),
            "timeseries": pd.DataFrame({k: _view(v, float) for k, v in self.samples.items()}),
        }


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(columns, copy=False)


def _view(column: array, dtype: Any) -> np.ndarray:
    """A numpy view of an ``array`` column (its item size matches ``dtype``)."""
    if not len(column):
        return np.zeros(0, dtype=dtype)
    view = np.frombuffer(column, dtype=dtype)
    assert view.size == len(column)
    return view


def _reasons(reasons: dict[int, str], n: int) -> Any:
    """The reason column as a categorical built from codes (no list of n strings)."""
    names = sorted(set(reasons.values()) | ({""} if len(reasons) < n else set()))
    index = {name: i for i, name in enumerate(names)}
    codes = np.full(n, index.get("", 0), dtype=np.int16)
    for task, reason in reasons.items():
        codes[task] = index[reason]
    return pd.Categorical.from_codes(codes, categories=names)


def _categorical(codes: array, names: tuple[str, ...]) -> Any:
    return pd.Categorical.from_codes(_view(codes, np.int8), categories=list(names))
