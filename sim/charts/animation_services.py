"""The animated view of a fan-out run (a scenario with ``services``).

The queue column shows one lane per service: on RabbitMQ and Redis the service's own queue,
bound to the exchange; on Kafka the service's consumer group (its lag). A published event
becomes one dot in every lane it reaches at the same moment, so the exchange is seen fanning
it out. The worker column holds every service's workers one after the other (the records
number workers within a service), each labelled and coloured like its service on the charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.charts.services import service_color
from sim.runner import Result
from sim.schema import Scenario

MAX_SERVICE_LANES = 8


def fanout(result: Result) -> bool:
    """Whether the run is drawn with one lane per service."""
    services = result.scenario.services
    return result.mode == "async" and 1 <= len(services) <= MAX_SERVICE_LANES


def worker_offsets(scenario: Scenario) -> np.ndarray:
    """Index of each service's first worker in the worker column."""
    counts = [s.workers.count for s in scenario.services]
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def global_workers(result: Result, attempts: pd.DataFrame) -> np.ndarray:
    """The worker column's index of each attempt's worker (-1, inline, stays -1)."""
    worker = attempts["worker"].to_numpy(np.int64)
    code = np.asarray(attempts["service"].cat.codes, dtype=np.int64)
    shifted = worker + worker_offsets(result.scenario)[np.maximum(code, 0)]
    return np.where(worker >= 0, shifted, worker)


def task_services(result: Result) -> np.ndarray:
    """Each task's service, as its index in ``services``."""
    return np.asarray(result.tasks["service"].cat.codes, dtype=np.int64)


def pool_sizes(scenario: Scenario) -> tuple[int, int, int]:
    """(workers drawn, cells per worker, worker slots in all)."""
    workers = [s.workers for s in scenario.services]
    return (sum(w.count for w in workers), max(w.concurrency for w in workers),
            sum(w.count * w.concurrency for w in workers))


def worker_labels(scenario: Scenario) -> list[tuple[str, str]]:
    """(short label, colour) of every worker in the column: ``email 0``, ``crm 0``, ..."""
    return [(f"{s.name[:6]} {w}", service_color(i)) for i, s in enumerate(scenario.services)
            for w in range(s.workers.count)]


def crash_windows(result: Result) -> list[tuple[float, float, list[int]]]:
    """(start, end, crashed workers in the column) of every worker crash: the first ``count``
    workers of the service it names, or of every service."""
    sc = result.scenario
    offsets = worker_offsets(sc)
    out = []
    for fault in sc.faults:
        if fault.kind != "worker_crash":
            continue
        victims = [int(offsets[i]) + w for i, s in enumerate(sc.services)
                   if fault.service in (None, s.name)
                   for w in range(min(fault.count, s.workers.count))]
        end = float(fault.at + fault.restart_after) if fault.restart_after is not None \
            else np.inf
        out.append((float(fault.at), end, victims))
    return out


__all__ = ["MAX_SERVICE_LANES", "crash_windows", "fanout", "global_workers", "pool_sizes",
           "task_services", "worker_labels", "worker_offsets"]
