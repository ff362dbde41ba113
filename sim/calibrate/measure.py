"""What a real worker did with a trace, and the overheads read off it.

A :class:`RealRun` holds, per task of a trace, when it was published and when the task body
started and ended on which pool process. Two kinds of sample come out of it:

* **dispatch delay**: publish → start of the tasks that found a free slot (fewer tasks in the
  worker than it has slots, counting a task as present until ``MARGIN_S`` after its body
  ended, so a slot that was still finishing up does not pass for free);
* **slot overhead**: on one pool process, start of a task → start of the next one, minus the
  first task's service time, when the next one was already waiting (published at least
  ``MARGIN_S`` before the first ended): the slot time a task takes beyond its body.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MARGIN_S = 0.03  # slack for "the slot was free" and "the next task was already waiting"


@dataclass(frozen=True)
class RealRun:
    """Per task, in the trace's order: seconds from the trace's start (one clock for the
    publisher and the worker), the pool process id and the service time the task was given."""

    published: np.ndarray
    started: np.ndarray
    ended: np.ndarray
    pid: np.ndarray
    service: np.ndarray
    late_s: np.ndarray  # how much later than the trace said each publish went out

    @property
    def waits(self) -> np.ndarray:
        """Queue wait: publish → the task body starts."""
        return self.started - self.published

    @property
    def latencies(self) -> np.ndarray:
        """Task latency: publish → the task body ends."""
        return self.ended - self.published


def dispatch_samples(run: RealRun, concurrency: int, margin_s: float = MARGIN_S) -> np.ndarray:
    """Publish → start of each task that found a free slot."""
    order = np.argsort(run.published, kind="stable")
    published, ended = run.published[order], run.ended[order]
    waits = run.waits[order]
    present_until = ended + margin_s
    found_free = np.array([np.count_nonzero(present_until[:i] > published[i]) < concurrency
                           for i in range(len(order))], dtype=bool)
    return waits[found_free]


def overhead_samples(run: RealRun, margin_s: float = MARGIN_S) -> np.ndarray:
    """Start → next start on the same pool process, minus the service time, for tasks
    followed by one that was already waiting."""
    samples: list[np.ndarray] = []
    for pid in np.unique(run.pid):
        rows = np.flatnonzero(run.pid == pid)
        rows = rows[np.argsort(run.started[rows], kind="stable")]
        first, then = rows[:-1], rows[1:]
        waiting = run.published[then] < run.ended[first] - margin_s
        cycle = run.started[then] - run.started[first] - run.service[first]
        samples.append(cycle[waiting])
    return np.concatenate(samples) if samples else np.empty(0)
