"""One calibration: replay traces on the real worker, fit the overheads, simulate the twins.

For each repeat and each load, the simulator makes a trace and one real worker runs it twice,
with early acknowledgement and with ``acks_late``, back to back (so both see the machine in
the same state). The overhead keys are fitted from
every run together; only then, with the real components stopped so they do not share the CPU
with the simulator, each run is simulated plain and with the fitted overheads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.calibrate.compare import Cell, Measured, Twin, cells, twin
from sim.calibrate.fit import Fit, fit_overheads
from sim.calibrate.harness import Lab
from sim.calibrate.measure import dispatch_samples, overhead_samples
from sim.calibrate.trace import calibration_scenario, load_rate, make_trace
from sim.scenario import Scenario

LOADS = (0.3, 0.6, 0.85)
TYPICAL_SHARE = 0.5  # of a run's tasks in a situation, for its samples of it to count (fit)


@dataclass(frozen=True)
class Plan:
    """How much to measure: seconds of trace per run, repeats, first seed."""

    duration_s: float
    repeats: int
    seed: int = 1
    loads: tuple[float, ...] = LOADS


QUICK = Plan(duration_s=10.0, repeats=1)  # about 100 s in all
# Full: about 20 min of short runs, interleaved, so that every load and ack mode sees the same
# mix of machine states (a shared machine drifts from minute to minute).
FULL = Plan(duration_s=30.0, repeats=6)


@dataclass(frozen=True)
class Calibration:
    base: Scenario
    plan: Plan
    measured: list[Measured]
    fit: Fit
    twins: list[Twin]
    table: list[Cell]


def measure(base: Scenario, plan: Plan, workdir: Path,
            progress: Callable[[str], None] = lambda _m: None) -> list[Measured]:
    """Run every trace of ``plan`` on a real Redis + Celery worker."""
    workers = base.workers
    out: list[Measured] = []
    with Lab(workdir, concurrency=workers.concurrency,
             prefetch=workers.prefetch_multiplier) as lab:
        lab.start_worker()
        for repeat in range(plan.repeats):
            seed = plan.seed + repeat
            for rho in plan.loads:
                modes = (False, True) if repeat % 2 == 0 else (True, False)  # balance drift
                for acks_late in modes:  # one trace, both ack modes, back to back
                    rate = load_rate(base, rho)
                    scenario = calibration_scenario(base, rate=rate, duration=plan.duration_s,
                                                    acks_late=acks_late)
                    real = lab.replay(make_trace(scenario, seed), acks_late)
                    out.append(Measured(repeat, acks_late, rho, rate, seed, plan.duration_s,
                                        real))
                    progress(f"repeat {repeat + 1}/{plan.repeats}, rho {rho:.2f}, acks_late "
                             f"{'on' if acks_late else 'off'}: {len(real.published)} tasks, "
                             f"mean wait {np.mean(real.waits) * 1000:.1f} ms")
    return out


def fit(measured: list[Measured], concurrency: int) -> Fit:
    """The overhead keys, each from the runs where its situation is the usual one: the
    dispatch delay from runs where most tasks found a free slot, the slot overhead (per ack
    mode) from runs where most tasks followed another back to back (``TYPICAL_SHARE``).

    On a shared machine the exceptions are not a fair sample: at low load the few tasks that
    queue are mostly the ones a stall of the machine held up, so their slot overheads are
    stall-sized; at high load the few tasks that find a free slot meet a worker busy with
    the other slot. (With no such run, every run counts.)"""
    per_run = [(m, dispatch_samples(m.real, concurrency), overhead_samples(m.real))
               for m in measured]

    def pooled(kind: int, acks_late: bool | None = None) -> np.ndarray:
        runs = [r for r in per_run if acks_late is None or r[0].acks_late == acks_late]
        usual = [r[kind] for r in runs if r[kind].size >= TYPICAL_SHARE * r[0].real.published.size]
        return np.concatenate(usual or [r[kind] for r in runs] or [np.empty(0)])

    return fit_overheads(pooled(1), pooled(2, False), pooled(2, True))


def calibrate(base: Scenario, plan: Plan, workdir: Path,
              progress: Callable[[str], None] = lambda _m: None) -> Calibration:
    measured = measure(base, plan, workdir, progress)
    fitted = fit(measured, base.workers.concurrency)
    progress("simulating each run plain and with the fitted overheads")
    twins = [twin(base, m, fitted) for m in measured]
    return Calibration(base, plan, measured, fitted, twins, cells(twins))
