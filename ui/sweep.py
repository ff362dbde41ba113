"""The load sweep: p95 user wait (everyone, including users who gave up) and async task latency
(succeeded tasks only) against the arrival rate.

Computed on demand with a progress bar. Each point is a shorter run (at most 60 s of arrivals)
with a lower overload bound, so that overloaded points stop quickly; they are marked as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sim.capacity import expected_attempts, offered_load
from sim.dists import mean_of
from sim.scenario import Scenario, apply_overrides
from ui.runs import _run

POINTS = 10
SWEEP_LIMITS = {"limits.max_in_system": 3000}


def sweep_rates(scenario: Scenario, points: int = POINTS) -> list[float]:
    """Arrival rates from light load to past the point where the first tier saturates."""
    rate = scenario.arrivals.rate
    loads = [max(offered_load(scenario, m).values()) for m in ("sync", "async")]
    saturation = [rate / load for load in loads if load > 0]
    calls = mean_of(scenario.task.service) * expected_attempts(scenario)
    if scenario.downstream.capacity and calls > 0:  # a capped downstream saturates first
        saturation = [min(s, scenario.downstream.capacity / calls) for s in saturation]
    top = 1.3 * max(saturation) if saturation else 2 * rate
    top = min(max(top, rate * 1.2), 100_000)
    return [round(float(r), 3) for r in np.linspace(top / points, top, points)]


def _point(scenario: Scenario, rate: float, mode: str, seed: int) -> list[dict]:
    changed = apply_overrides(scenario, {"arrivals.rate": rate,
                                         "duration": min(scenario.duration, 60.0),
                                         "warmup": 0.0, **SWEEP_LIMITS})
    result = _run(changed.model_dump_json(), mode, seed)
    over = any("overload" in w for w in result.warnings)
    rows = [{"label": f"{mode}: user wait", "rate": rate, "overloaded": over,
             "p95": result.summary["user_wait_s"]["p95"]}]
    if mode == "async":
        rows.append({"label": "async: task latency (succeeded tasks)", "rate": rate,
                     "overloaded": over, "p95": result.summary["task_latency_s"]["p95"]})
    return rows


def run_sweep(scenario: Scenario, seed: int) -> pd.DataFrame:
    """Every point of the sweep, with a progress bar while it runs."""
    rates = sweep_rates(scenario)
    jobs = [(rate, mode) for mode in ("sync", "async") for rate in rates]
    bar = st.progress(0.0, text="Running the load sweep…")
    rows: list[dict] = []
    for i, (rate, mode) in enumerate(jobs, start=1):
        rows += _point(scenario, rate, mode, seed)
        bar.progress(i / len(jobs), text=f"Load sweep: {mode} at {rate:g} requests/s "
                                         f"({i}/{len(jobs)})")
    bar.empty()
    return pd.DataFrame(rows).dropna(subset=["p95"])
