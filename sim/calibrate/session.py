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
BUSY_SHARE = 0.5  # of a run's tasks back to back, for its slot overheads to count (see fit)


@dataclass(frozen=True)
class Plan:
    """How much to measure: seconds of trace per run, repeats, first seed."""

    duration_s: float
    repeats: int
    seed: int = 1
    loads: tuple[float, ...] = LOADS


QUICK = Plan(duration_s=10.0, repeats=1)  # about 100 s in all
FULL = Plan(duration_s=30.0, repeats=6)  # about 20 min: short runs, interleaved, so that
# every load and ack mode sees the same mix of machine states (a shared machine drifts)


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
    """The overhead keys: the dispatch delay from every run (both ack modes), the slot
    overhead per ack mode from the busy runs.

    A run is busy when at least ``BUSY_SHARE`` of its tasks followed another back to back.
    At low load the few tasks that do are mostly the ones a stall of the machine queued up,
    so their slot overheads are stall-sized: counting them would bias the overhead upwards.
    (With no busy run, every run counts.)"""
    dispatch = np.concatenate([dispatch_samples(m.real, concurrency) for m in measured])
    samples = [(m, overhead_samples(m.real)) for m in measured]
    busy = [(m, s) for m, s in samples if s.size >= BUSY_SHARE * m.real.published.size]

    def pooled(acks_late: bool) -> np.ndarray:
        runs = [s for m, s in busy if m.acks_late == acks_late]
        runs = runs or [s for m, s in samples if m.acks_late == acks_late]
        return np.concatenate(runs or [np.empty(0)])

    return fit_overheads(dispatch, pooled(False), pooled(True))


def calibrate(base: Scenario, plan: Plan, workdir: Path,
              progress: Callable[[str], None] = lambda _m: None) -> Calibration:
    measured = measure(base, plan, workdir, progress)
    fitted = fit(measured, base.workers.concurrency)
    progress("simulating each run plain and with the fitted overheads")
    twins = [twin(base, m, fitted) for m in measured]
    return Calibration(base, plan, measured, fitted, twins, cells(twins))
