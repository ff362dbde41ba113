"""The vocabulary of the animated system view: stages (left to right), states (the colour of a
dot), the :class:`Segments` of a run, and small helpers shared by the builders (interval
colouring for identical servers, crash windows, Kafka lanes, the end of a run).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.charts.animation_services import crash_windows as service_crash_windows
from sim.charts.animation_services import fanout
from sim.runner import Result

# stages, left to right
WAITING, THREAD, QUEUE, BACKOFF, WORKER, DONE, FAILED, DEAD, LOST = range(9)
STAGES = ("waiting", "thread", "queue", "backoff", "worker",
          "done", "failed", "dead_lettered", "lost")
OUTCOME_STAGE = {"succeeded": DONE, "failed": FAILED, "dead_lettered": DEAD, "lost": LOST,
                 "expired": FAILED,  # an expired task was skipped: its work was not done
                 "dropped": LOST}  # discarded by the broker: gone, like a lost task

# what an entity is doing (the colour of its dot)
(S_WAITING, S_HANDLER, S_QUEUED, S_RUNNING, S_BACKOFF, S_DONE, S_FAILED, S_DEAD, S_LOST,
 S_DUPLICATE, S_DUP_QUEUED) = range(11)
STATE_LABELS = (
    "waiting for a web thread", "in the web handler", "queued", "running the job",
    "backing off before a retry", "done", "failed", "dead-lettered", "lost",
    "duplicate copy running", "duplicate copy queued",
)
OUTCOME_STATE = {DONE: S_DONE, FAILED: S_FAILED, DEAD: S_DEAD, LOST: S_LOST}
MAX_LANES = 7  # lanes drawn in the queue, at most
NOT_READ = "not read yet"


@dataclass
class Segments:
    """Every (entity, stage) interval of one run, as numpy columns, plus the pool sizes."""

    t0: np.ndarray
    t1: np.ndarray
    stage: np.ndarray
    lane: np.ndarray  # queue lane (Kafka partition or consumer); 0 elsewhere
    slot: np.ndarray  # thread index, or worker cell = worker * concurrency + slot; -1 elsewhere
    state: np.ndarray
    request: np.ndarray
    task: np.ndarray  # -1 for a request's own stages
    attempt: np.ndarray  # 1-based retry number, 0 where there is none
    mode: str
    threads: int
    workers: int
    concurrency: int
    lanes: list[str]
    end: float
    answered: np.ndarray = field(repr=False)  # sorted response times
    answered_bad: np.ndarray = field(repr=False)  # sorted times of error / too-late responses
    shed: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))  # refused, sorted
    faults: list[dict[str, Any]] = field(default_factory=list)
    down: list[tuple[float, float, list[int]]] = field(default_factory=list)
    lane_by: str | None = None  # what picks a queue lane: partition, worker, service
    slots_total: int = 0  # worker slots in all, when workers differ (services)
    worker_labels: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    broker: str = ""

    @property
    def kafka_groups(self) -> bool:
        """A fan-out run on Kafka: its lanes are consumer groups."""
        return self.lane_by == "service" and self.broker == "kafka"

    @property
    def slots(self) -> int:
        return self.slots_total or self.workers * self.concurrency

    def __len__(self) -> int:
        return len(self.t0)

    def frame(self) -> pd.DataFrame:
        """The segments as a DataFrame (stage and state by name), for tests and inspection."""
        return pd.DataFrame({
            "t0": self.t0, "t1": self.t1, "stage": np.asarray(STAGES)[self.stage],
            "lane": self.lane, "slot": self.slot, "state": np.asarray(STATE_LABELS)[self.state],
            "request": self.request, "task": self.task, "attempt": self.attempt})


def run_end(result: Result) -> float:
    """When the run stopped (from the summary), else the latest time in the records."""
    try:
        return float(result.summary["run"]["end_time_s"])
    except (KeyError, TypeError):
        times = [result.requests["arrival"].max(), result.requests["end"].max()]
        if len(result.attempts):
            times += [result.attempts["start"].max(), result.attempts["end"].max()]
        if len(result.timeseries):
            times.append(result.timeseries["time"].max())
        return max((float(t) for t in times if t == t), default=0.0)


class Parts:
    """Collects segment columns from vectorized pieces; zero-length stays are dropped."""

    NAMES = ("t0", "t1", "stage", "lane", "slot", "state", "request", "task", "attempt",
             "group")
    DTYPES = (float, float, np.int8, np.int64, np.int64, np.int8, np.int64, np.int64,
              np.int16, np.int64)

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in self.NAMES}

    def add(self, t0: Any, t1: Any, stage: int, state: Any, request: Any, *, task: Any = -1,
            attempt: Any = 0, lane: Any = 0, slot: Any = -1, group: Any = -1,
            where: np.ndarray | None = None) -> None:
        values = (t0, t1, stage, lane, slot, state, request, task, attempt, group)
        n = np.asarray(t0).size
        arrays = [np.broadcast_to(np.asarray(v), (n,)) for v in values]
        keep = arrays[1] > arrays[0]
        if where is not None:
            keep &= where
        for name, array in zip(self.NAMES, arrays, strict=True):
            self.cols[name].append(array[keep])

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: (np.concatenate(self.cols[k]).astype(d) if self.cols[k] else np.zeros(0, d))
                for k, d in zip(self.NAMES, self.DTYPES, strict=True)}


def colour_intervals(pool: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """The lowest free slot of its ``pool`` for every interval [t0, t1), first come first served
    (a slot freed at t can be taken at t). Pools are identical servers, so any valid colouring
    is a faithful picture; this one does not depend on the window drawn."""
    slots = np.full(t0.size, -1, dtype=np.int64)
    free: dict[int, list[int]] = {}
    busy: dict[int, list[tuple[float, int]]] = {}
    size: dict[int, int] = {}
    for i in np.lexsort((t1, t0, pool)).tolist():
        p, start = int(pool[i]), t0[i]
        heap, idle = busy.setdefault(p, []), free.setdefault(p, [])
        while heap and heap[0][0] <= start:
            heapq.heappush(idle, heapq.heappop(heap)[1])
        if idle:
            slot = heapq.heappop(idle)
        else:
            slot = size.get(p, 0)
            size[p] = slot + 1
        heapq.heappush(heap, (t1[i], slot))
        slots[i] = slot
    return slots


def crash_windows(result: Result) -> list[tuple[float, float, list[int]]]:
    """(start, end, crashed workers) of every worker crash: the engine crashes the first
    ``count`` consumers; a worker that never restarts stays down (end = inf)."""
    sc = result.scenario
    if result.mode != "async":
        return []
    if sc.services:
        return service_crash_windows(result)
    return [(float(f.at), float(f.at + f.restart_after) if f.restart_after is not None else np.inf,
             list(range(min(f.count, sc.workers.count))))
            for f in sc.faults if f.kind == "worker_crash" and f.scope == "worker"]


def queue_lanes(result: Result) -> tuple[list[str], str | None]:
    """Lane names of the queue and what picks a lane: the services of a fan-out run, Kafka
    partitions (if the tasks carry a ``partition`` column), Kafka consumers (plus a lane for
    messages no one has read yet), or a single queue."""
    sc = result.scenario
    if fanout(result):  # one queue (Kafka: one consumer group) per service
        return sc.service_names(), "service"
    if result.mode != "async" or sc.broker.kind != "kafka":
        return [""], None
    names = [f"partition {i}" for i in range(sc.broker.partitions)]
    names += ["retry topic"] if sc.broker.retry_topic else []
    if "partition" in result.tasks and len(names) <= MAX_LANES:
        return names, "partition"
    if sc.workers.count < MAX_LANES:  # one lane per consumer, plus messages not read yet
        return [f"consumer {i}" for i in range(sc.workers.count)] + [NOT_READ], "worker"
    return [""], None
