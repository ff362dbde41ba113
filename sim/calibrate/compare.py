"""Real runs next to their simulated twins: the same publish times, the same service times.

Each measured run is simulated twice on its actual publish times (the trace's own task sizes,
by common random numbers): *plain* (no overheads, the textbook model) and *fitted* (with the
fitted overhead keys). Runs of the same load and ack mode (repeats) are pooled task by task
into one :class:`Cell`; its errors are relative to the real run, and the spread is the range of
the per-repeat errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.calibrate.fit import Fit
from sim.calibrate.measure import RealRun
from sim.calibrate.trace import calibration_scenario
from sim.prediction import prediction
from sim.runner import run
from sim.scenario import Scenario

TARGET = {0.3: 0.15, 0.6: 0.15, 0.85: 0.25}  # |error| allowed for the fitted mean wait


@dataclass(frozen=True)
class Measured:
    """One real run: which configuration, which trace, what happened."""

    repeat: int
    acks_late: bool
    rho: float
    rate: float
    seed: int
    duration: float
    real: RealRun


@dataclass(frozen=True)
class Twin:
    """A measured run and its two simulations (per task, in the trace's order)."""

    measured: Measured
    waits: dict[str, np.ndarray]
    latencies: dict[str, np.ndarray]
    theory_wait: float | None


def simulate(base: Scenario, measured: Measured, overheads: dict[str, Any] | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Queue waits and task latencies of a simulation of ``measured``'s trace."""
    real = measured.real
    duration = max(measured.duration, float(real.published.max()) + 1e-6)
    scenario = calibration_scenario(base, rate=measured.rate, duration=duration,
                                    acks_late=measured.acks_late, overheads=overheads)
    result = run(scenario, "async", measured.seed, arrival_times=real.published.tolist())
    tasks = result.tasks
    if len(tasks) != len(real.published):
        raise RuntimeError(f"simulated {len(tasks)} tasks for a trace of {len(real.published)}")
    return ((tasks["first_start"] - tasks["published"]).to_numpy(),
            (tasks["finished"] - tasks["published"]).to_numpy())


def twin(base: Scenario, measured: Measured, fit: Fit) -> Twin:
    plain = simulate(base, measured, None)
    fitted = simulate(base, measured, fit.keys())
    scenario = calibration_scenario(base, rate=measured.rate, duration=measured.duration,
                                    acks_late=measured.acks_late)
    theory = prediction(scenario, "async")["queue_wait_s"]
    real = measured.real
    return Twin(measured,
                {"real": real.waits, "plain": plain[0], "fitted": fitted[0]},
                {"real": real.latencies, "plain": plain[1], "fitted": fitted[1]},
                None if theory is None else float(theory))


def error(sim: float, real: float) -> float:
    return sim / real - 1 if real > 0 else float("nan")


@dataclass(frozen=True)
class Cell:
    """One load and ack mode, pooled over repeats."""

    acks_late: bool
    rho: float
    tasks: int
    wait: dict[str, float]  # mean queue wait: real, plain, fitted
    p95_latency: dict[str, float]  # p95 task latency: real, plain, fitted
    erlang_c: float | None  # the closed form's mean wait, no overheads
    spread: dict[str, list[float]] = field(default_factory=dict)  # per-repeat wait errors

    def wait_error(self, kind: str) -> float:
        return error(self.wait[kind], self.wait["real"])

    def latency_error(self, kind: str) -> float:
        return error(self.p95_latency[kind], self.p95_latency["real"])

    @property
    def target(self) -> float:
        return TARGET.get(self.rho, 0.25)

    @property
    def on_target(self) -> bool:
        return abs(self.wait_error("fitted")) <= self.target


def cells(twins: Iterable[Twin]) -> list[Cell]:
    """Pool the twins by (ack mode, load), in that order."""
    groups: dict[tuple[bool, float], list[Twin]] = {}
    for t in twins:
        groups.setdefault((t.measured.acks_late, t.measured.rho), []).append(t)
    out = []
    for (acks_late, rho), group in sorted(groups.items()):
        waits = {k: np.concatenate([t.waits[k] for t in group]) for k in group[0].waits}
        lats = {k: np.concatenate([t.latencies[k] for t in group]) for k in group[0].latencies}
        spread = {k: sorted(error(float(np.mean(t.waits[k])), float(np.mean(t.waits["real"])))
                            for t in group) for k in ("plain", "fitted")}
        theories = [t.theory_wait for t in group if t.theory_wait is not None]
        out.append(Cell(acks_late, rho, int(waits["real"].size),
                        {k: float(np.mean(v)) for k, v in waits.items()},
                        {k: float(np.percentile(v, 95)) for k, v in lats.items()},
                        float(np.mean(theories)) if theories else None, spread))
    return out


def log_error(table: list[Cell], kind: str) -> float:
    """Mean |log(simulated / real)| of the mean waits over the cells: one robust number for
    how far a model is from the real worker (0 = exact; 0.1 ≈ 10 % off)."""
    return float(np.mean([abs(np.log(c.wait[kind] / c.wait["real"])) for c in table]))
