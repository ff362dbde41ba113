"""Traces for the calibration lab: the simulator makes the traffic the real worker replays.

A calibration scenario is a scenario reduced to its queueing core: async, no web-tier time (a
task is published the instant its request arrives), no failures, retries or faults, a Redis
broker, one worker with the scenario's concurrency and prefetch, at a chosen arrival rate. The
trace is what the simulator draws for it: publish times (Poisson arrivals) and task service
times. Because every source of randomness has its own named stream, simulating the same
scenario and seed again with overheads added gives the very same arrivals and service times:
that is what pairs a real run with its simulated twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.dists import mean_of
from sim.runner import Result, run
from sim.scenario import Scenario, from_dict

ZERO = {"dist": "constant", "value": 0}
MAX_IN_SYSTEM = 500_000  # the schema's largest bound: a calibration run is never cut short


@dataclass(frozen=True)
class Trace:
    """Tasks to replay, in publish order: publish times and service times, seconds."""

    publish_s: np.ndarray
    service_s: np.ndarray
    rate: float
    seed: int

    def __len__(self) -> int:
        return len(self.publish_s)


def load_rate(scenario: Scenario, rho: float) -> float:
    """Arrival rate giving nominal utilization ``rho`` (task time only, no overheads) on
    one worker's slots."""
    return rho * scenario.workers.concurrency / mean_of(scenario.task.service)


def calibration_scenario(base: Scenario, *, rate: float, duration: float, acks_late: bool,
                         overheads: dict[str, Any] | None = None) -> Scenario:
    """``base`` reduced to the broker-and-worker core the lab measures. ``overheads`` maps
    ``dispatch_delay``, ``task_overhead`` and ``task_overhead_acks_late`` to distributions
    (mappings); a key left out (or None for all) is zero: the plain model."""
    data = base.to_dict()
    chosen = overheads or {}
    broker = data["broker"] if data["broker"]["kind"] == "redis" else {"kind": "redis"}
    broker["dispatch_delay"] = chosen.get("dispatch_delay") or ZERO
    workers = {**data["workers"], "count": 1, "acks_late": acks_late, "rate_limit": None,
               "soft_time_limit": None, "time_limit": None,
               "task_overhead": chosen.get("task_overhead") or ZERO,
               "task_overhead_acks_late": chosen.get("task_overhead_acks_late")}
    data.update(
        id=f"{base.id}_calibration", mode="async", duration=duration, warmup=0.0, faults=[],
        arrivals={"rate": rate},
        web={"workers": 10_000, "service": {"dist": "constant", "value": 0},
             "publish": {"dist": "constant", "value": 0}, "timeout": None},
        task={"service": data["task"]["service"], "failure_rate": 0, "poison_rate": 0},
        downstream={"capacity": 0, "timeout": 0}, broker=broker, workers=workers,
        retry={**data["retry"], "max_retries": 0},
        limits={**data["limits"], "max_in_system": MAX_IN_SYSTEM, "max_drain": None},
    )
    return from_dict(data)


def make_trace(scenario: Scenario, seed: int) -> Trace:
    """The arrivals and service times the simulator draws for ``scenario`` and ``seed``."""
    return trace_of(run(scenario, "async", seed))


def trace_of(result: Result) -> Trace:
    """Publish and service times of a run's tasks, read back from its records."""
    tasks, attempts = result.tasks, result.attempts
    first = attempts[attempts["attempt"] == 1].set_index("task_id")
    service = (first["end"] - first["start"]).reindex(tasks["task_id"]).to_numpy()
    if np.isnan(service).any():
        raise ValueError("trace: some tasks never ran; the calibration run did not drain")
    return Trace(tasks["published"].to_numpy(), service, result.scenario.arrivals.rate,
                 result.seed)
