"""The charts across replications, on hand-built replications: the band is the Student-t
interval of the replications' values at each point (computed here with scipy's own t
interval), the error bars are the same interval, and each chart says in words that it shows
means over N replications with 95 % confidence intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import load_scenario
from sim.charts.replicated import (
    fates_reps,
    over_time_reps,
    response_ecdf_reps,
    retries_reps,
    throughput_reps,
)
from sim.experiment import Replications
from sim.experiment.curves import ECDF_GRID

SCENARIO = load_scenario("email_signup")
SHARES = (0.9, 0.95, 1.0)


def half_width(values: list[float]) -> float:
    low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values),
                                 scale=stats.sem(values))
    return (high - low) / 2


def fake(mode: str, scale: float) -> Replications:
    curves, summaries = [], []
    for k, share in enumerate(SHARES):
        # rep k: every answer at (k + 1) * scale seconds; the rest gave up
        within = np.where((k + 1) * scale <= ECDF_GRID, share, 0.0)
        curves.append({
            "response_ecdf": {"arrived": 100, "share": share, "min": (k + 1) * scale,
                              "within": within.tolist(),
                              "marks": {"p50": (k + 1) * scale, "p95": (k + 1) * scale
                                        if share >= 0.95 else None, "p99": None}},
            "over_time": {"width": 1.0, "p95": [1.0 + k, 2.0 + k, None],  # 3: nobody
                          "gave_up": [0.0, 0.1 * k, None],
                          "arriving": [10.0, 10.0], "completed": [k + 1.0, 8.0, 2.0][:k + 1],
                          "errors": [0.0] * (k + 1)},
            "fates": {"succeeded first try": 10 * (k + 1), "failed: out of retries": k}})
        summaries.append({"run": {}, "tasks": {"retries": 3 * k}, "requests": {"retried": k}})
    return Replications(SCENARIO, mode, (1, 2, 3), tuple(summaries), tuple(curves))


REPS = {"sync": fake("sync", 1.0), "async": fake("async", 0.01)}


def test_ecdf_band_is_the_pointwise_t_interval_of_the_shares() -> None:
    fig = response_ecdf_reps(REPS)
    band = next(t for t in fig.data if t.fill == "toself" and t.name.startswith("sync"))
    x = np.asarray(band.x[:len(band.x) // 2])
    high = np.asarray(band.y[:len(band.y) // 2])
    k = int(np.argmin(abs(x - 2.5)))  # rep 1 and 2 answered everyone they will, rep 3 none yet
    values = [90.0, 95.0, 0.0]
    assert high[k] == pytest.approx(min(100, np.mean(values) + half_width(values)))
    low = np.asarray(band.y[len(band.y) // 2:])[::-1]
    k = int(np.argmin(abs(x - 5.0)))  # every replication done: 90, 95 and 100 % answered
    values = [90.0, 95.0, 100.0]
    assert low[k] == pytest.approx(np.mean(values) - half_width(values))
    p50 = next(t for t in fig.data if t.mode == "markers+text" and t.y[0] == 50
               and t.legendgroup == "sync")
    assert p50.x[0] == pytest.approx(2.0) and p50.error_x.array[0] == pytest.approx(
        half_width([1.0, 2.0, 3.0]))
    assert not any(t.mode == "markers+text" and t.y[0] == 95 for t in fig.data)
    words = fig.layout.meta["numbers"]
    assert words.startswith("Mean of 3 replications with 95 % confidence")
    assert "p95 not reached in 1 of 3 replications" in words  # rep 1: 10 % gave up
    assert "p99 not reached in 3 of 3 replications" in words
    assert "mean of 3 replications" in fig.layout.title.text


@pytest.mark.filterwarnings("error::RuntimeWarning")  # an empty window is no mean, no noise
def test_over_time_band_and_bars_use_the_same_interval() -> None:
    over = over_time_reps(REPS)
    band = next(t for t in over.data if t.fill == "toself" and t.name == "sync CI")
    assert band.y[0] == pytest.approx(2.0 + half_width([1.0, 2.0, 3.0]))  # window 1, top
    assert len(band.x) == 4  # two windows there and back: the empty one is left out
    fates = fates_reps(REPS)
    bar = next(t for t in fates.data if t.name == "sync")
    k = list(bar.y).index("succeeded first try")
    assert bar.x[k] == pytest.approx(20.0)
    assert bar.error_x.array[k] == pytest.approx(half_width([10.0, 20.0, 30.0]))
    retries = retries_reps(REPS)
    bar = next(t for t in retries.data if t.name == "async")
    assert bar.y[0] == pytest.approx(3.0) and bar.error_y.array[0] == pytest.approx(
        half_width([0.0, 3.0, 6.0]))
    for fig in (over, fates, retries):
        assert fig.layout.meta["numbers"].startswith("Mean of 3 replications with 95 %")


def test_throughput_band_counts_a_replication_that_ended_sooner_as_zero() -> None:
    fig = throughput_reps(REPS)
    band = next(t for t in fig.data if t.fill == "toself" and t.name == "sync CI")
    top = np.asarray(band.y[:len(band.y) // 2])
    assert top[0] == pytest.approx(2.0 + half_width([1.0, 2.0, 3.0]))
    assert top[2] == pytest.approx(2 / 3 + half_width([0.0, 0.0, 2.0]))  # reps 1, 2 ended
    assert not any("errors" in (t.name or "") for t in fig.data)  # none: no line for them
    assert fig.layout.meta["numbers"].startswith("Mean of 3 replications with 95 %")
