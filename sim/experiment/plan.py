"""Capacity planning: the smallest setting of one knob (``workers.count``) whose results meet
every service-level objective, with the confidence the replications give.

A setting *meets* an SLO ``{"user_wait_s.p95": 2.0}`` when the upper bound of the 95 %
confidence interval of the metric's mean over the replications is at or below the target, and no
replication stopped at the overload bound. The search assumes that raising the knob never makes
a metric worse (more workers, more threads), and bisects: it checks the top of the range (if
even that fails there is no answer), the bottom (if that passes it is the answer), then halves
the gap between the largest failing and the smallest passing value until they are neighbours.
The answer's neighbour below has therefore been run and failed: the boundary is checked, not
inferred. Points that break the monotone assumption are reported. Every setting tried comes back
for the chart. All settings run on the same seeds (common random numbers).

The search's work is bounded before it starts: at most ``steps`` settings (the top, the bottom
and one per halving) × ``reps`` runs, each with the work plan of the scenario at the top of the
range. A search stopped from outside (``Options.should_stop``) raises
:class:`sim.experiment.backends.ExperimentStopped` with the settings it had finished as an
incomplete :class:`Plan` (``complete=False``: no answer, only the best setting seen so far).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from sim.experiment.backends import ExperimentStopped
from sim.experiment.core import Options, Replications, replicate
from sim.experiment.stats import CONFIDENCE
from sim.scenario import Scenario, ScenarioError, apply_overrides

FLOAT_STEPS = 64  # a float knob is bisected to 1/64 of its range


@dataclass(frozen=True)
class Plan:
    """The answer (None when no value in the range meets every SLO) and every point tried."""

    knob: str
    slo: dict[str, float]
    mode: str
    low: float
    high: float
    answer: float | int | None
    points: pd.DataFrame
    monotone: bool
    complete: bool = True  # False: the search was stopped before it found the answer

    def sentence(self) -> str:
        """The answer in words."""
        goals = " and ".join(f"{k} ≤ {v:g}" for k, v in self.slo.items())
        if not self.complete:
            passing = self.points.loc[self.points["meets"], "value"]
            best = (f"the smallest that met {goals} was {self.knob} = {passing.min():g} (the "
                    f"answer is at most that)" if len(passing) else
                    f"none met {goals}")
            return (f"The search stopped before it finished: of the {len(self.points)} "
                    f"settings tried, {best}.")
        if self.answer is None:
            return (f"No {self.knob} from {self.low:g} to {self.high:g} meets {goals} "
                    f"({self.mode}, upper {CONFIDENCE:.0%} confidence bound).")
        return (f"{self.knob} = {self.answer:g} is the smallest setting that meets {goals} "
                f"({self.mode}, upper {CONFIDENCE:.0%} confidence bound over the "
                f"replications).")


def _knob_value(scenario: Scenario, knob: str) -> Any:
    node: Any = scenario.to_dict()
    for part in knob.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ScenarioError(f"--knob {knob}: not a scenario key")
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise ScenarioError(f"--knob {knob}: must be a numeric scenario key, it is {node!r}")
    return node


def _check_slo(slo: Mapping[str, float], reps: Replications) -> None:
    for key in slo:
        if all(v is None for v in reps.values(key)):
            raise ScenarioError(f"--slo {key}: not a number in the summary (e.g. "
                                f"user_wait_s.p95, queue_wait_s.mean, task_latency_s.p95)")


def _row(value: Any, order: int, reps: Replications, slo: Mapping[str, float]) -> dict:
    stopped = any(s["run"].get("overloaded") for s in reps.summaries)
    row: dict[str, Any] = {"value": value, "order": order, "stopped_at_bound": stopped}
    meets = not stopped
    for key, target in slo.items():
        ci = reps.interval(key)
        high = ci.high if ci.half_width is not None else None
        ok = high is not None and math.isfinite(high) and high <= target
        meets = meets and ok
        row.update({f"{key} mean": ci.mean, f"{key} ci_low": ci.low, f"{key} ci_high": high,
                    f"{key} target": target, f"{key} meets": ok})
    row["meets"] = meets
    return row


def capacity_plan(scenario: Scenario, slo: Mapping[str, float], knob: str = "workers.count",
                  range: tuple[float, float] = (1, 64), reps: int = 10,
                  mode: str | None = None, seed: int | None = None,
                  options: Options | None = None) -> Plan:
    """The smallest ``knob`` value in ``range`` whose replications meet every SLO (see the
    module docstring); ``reps`` ≥ 2 (one run has no confidence interval)."""
    if not slo:
        raise ScenarioError("--slo: give at least one, e.g. user_wait_s.p95=2")
    if reps < 2:
        raise ScenarioError(f"--reps: the planner needs ≥ 2 replications, got {reps}")
    mode = mode or scenario.mode
    whole = isinstance(_knob_value(scenario, knob), int)
    low, high = range
    if whole:
        low, high = math.ceil(low), math.floor(high)
    if not low < high:
        raise ScenarioError(f"--range: LOW must be below HIGH, got {range[0]}:{range[1]}")
    options = options or Options()
    steps = (math.ceil(math.log2(high - low)) if whole else int(math.log2(FLOAT_STEPS))) + 2
    try:
        top = apply_overrides(scenario, {knob: high})
    except ScenarioError as exc:
        raise ScenarioError(f"--range {range[0]:g}:{range[1]:g}: {exc}") from None
    options.check_work([(top, mode)] * steps, reps)
    rows: list[dict[str, Any]] = []

    def check(value: Any) -> bool:
        done = len(rows)
        progress = options.progress
        step = replace(options, progress=None if progress is None else
                       lambda d, t: progress(done * t + d, steps * t))
        result = replicate(apply_overrides(scenario, {knob: value}), mode, reps, seed,
                           options=step)
        if not rows:
            _check_slo(slo, result)
        rows.append(_row(value, len(rows) + 1, result, slo))
        return rows[-1]["meets"]

    answer: Any = None
    try:
        if check(high):
            answer = low if check(low) else _bisect(check, low, high, whole)
    except ExperimentStopped as stop:  # keep the settings that were finished
        points = pd.DataFrame(rows).sort_values("value").reset_index(drop=True) if rows \
            else None
        raise stop.with_partial(None if points is None else Plan(
            knob, dict(slo), mode, low, high, None, points, _monotone(points), False)) from None
    if options.progress is not None:
        options.progress(1, 1)
    points = pd.DataFrame(rows).sort_values("value").reset_index(drop=True)
    return Plan(knob, dict(slo), mode, low, high, answer, points, _monotone(points))


def _bisect(check: Any, fails: float, passes: float, whole: bool) -> float:
    """Narrow [fails, passes] until they are neighbours (or 1/64 of the range apart)."""
    tolerance = 1 if whole else (passes - fails) / FLOAT_STEPS
    while passes - fails > tolerance:
        middle = (fails + passes) // 2 if whole else (fails + passes) / 2
        if check(middle):
            passes = middle
        else:
            fails = middle
    return passes


def _monotone(points: pd.DataFrame) -> bool:
    """True when no tried value passes below one that fails."""
    meets = points["meets"].tolist()
    return all(not (a and not b) for i, a in enumerate(meets) for b in meets[i + 1:])


__all__ = ["Plan", "capacity_plan"]
