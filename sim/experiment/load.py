"""The load sweep: how the results change as one setting moves, from light load to past the
point where the first tier saturates (the hockey stick).

Each point is a shorter run (at most 60 s of arrivals, no warm-up) with a lower overload bound,
so that overloaded points stop quickly; they are flagged from structured fields
(:func:`sim.experiment.core.sweep`). The default x-axis is the arrival rate, up to 1.3 × the
rate at which the busiest tier (or a capped downstream) saturates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.capacity import expected_attempts, offered_load
from sim.dists import mean_of
from sim.experiment.core import Options, Sweep, sweep
from sim.experiment.spec import spaced
from sim.scenario import Scenario, ScenarioError, apply_overrides

POINTS = 10
MAX_SWEEP_DURATION_S = 60.0
SWEEP_LIMITS = {"limits.max_in_system": 3000}  # overloaded points stop after ~3,000 in system
RATE_CAP = 100_000


def saturation_rate(scenario: Scenario) -> float | None:
    """The arrival rate at which the busiest tier of either design reaches its capacity."""
    rate = scenario.arrivals.rate
    loads = [max(offered_load(scenario, m).values()) for m in ("sync", "async")]
    saturation = [rate / load for load in loads if load > 0]
    calls = mean_of(scenario.task.service) * expected_attempts(scenario)
    if scenario.downstream.capacity and calls > 0:  # a capped downstream saturates first
        saturation = [min(s, scenario.downstream.capacity / calls) for s in saturation]
    return max(saturation) if saturation else None


def sweep_rates(scenario: Scenario, points: int = POINTS) -> list[float]:
    """Arrival rates from light load to past the point where the first tier saturates."""
    rate = scenario.arrivals.rate
    saturation = saturation_rate(scenario)
    top = 1.3 * saturation if saturation else 2 * rate
    top = min(max(top, rate * 1.2), RATE_CAP)
    return [round(float(r), 3) for r in np.linspace(top / points, top, points)]


def _current(scenario: Scenario, key: str) -> Any:
    node: Any = scenario.to_dict()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ScenarioError(f"{key}: not a scenario key")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise ScenarioError(f"{key}: must be a numeric scenario key, it is {node!r}")
    return node


def default_values(scenario: Scenario, key: str, points: int = POINTS) -> list[Any]:
    """Values to sweep ``key`` over: arrival rates as in :func:`sweep_rates`; any other number
    from a quarter of its value to twice it (whole numbers from 1, without repeats)."""
    if key == "arrivals.rate":
        return sweep_rates(scenario, points)
    value = _current(scenario, key)
    if isinstance(value, int):
        top = max(2 * value, points)
        return sorted({int(v) for v in np.round(np.linspace(1, top, points))})
    low, high = (value / 4, value * 2) if value > 0 else (0.0, 1.0)
    return spaced(float(low), float(high), points)


def quick(scenario: Scenario) -> Scenario:
    """The short version of a scenario that every load-sweep point runs."""
    return apply_overrides(scenario, {"duration": min(scenario.duration, MAX_SWEEP_DURATION_S),
                                      "warmup": 0.0, **SWEEP_LIMITS})


def load_sweep(scenario: Scenario, key: str = "arrivals.rate",
               values: Sequence[Any] | None = None, reps: int = 1, seed: int | None = None,
               modes: str | Sequence[str] = "both", options: Options | None = None) -> Sweep:
    """The load sweep of ``scenario`` over ``key`` (default values: :func:`default_values`)."""
    seed = scenario.seed if seed is None else seed
    values = list(values) if values is not None else default_values(scenario, key)
    return sweep(quick(scenario), {key: values}, modes, reps, seed, options)


__all__ = ["POINTS", "SWEEP_LIMITS", "default_values", "load_sweep", "quick", "saturation_rate",
           "sweep_rates"]
