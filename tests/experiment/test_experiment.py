"""Replications, sweeps and the planner, checked against closed forms and across backends.

The coverage check is the definition of a 95 % confidence interval: over many independent
experiments, each a few replications of an M/M/2 queue with the empty start dropped as warm-up,
the interval should contain the Erlang C mean wait about 95 % of the time.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim import load_scenario
from sim.experiment import Options, capacity_plan, interval, replicate, replicate_many, sweep
from sim.experiment.load import load_sweep
from sim.scenario import ScenarioError
from sim.theory import mmc
from tests.conftest import mmc_scenario

SERIAL = Options(backend="serial")
EXPERIMENTS, REPS = 200, 4
# Binomial noise of the observed coverage over EXPERIMENTS experiments when the true coverage
# is 95 %: sd = sqrt(0.95 · 0.05 / 200) ≈ 0.0154; the band is ±3 sd (a false alarm ~0.3 %).
BAND = 3 * (0.95 * 0.05 / EXPERIMENTS) ** 0.5


@pytest.mark.slow
def test_95_percent_interval_covers_erlang_c_about_95_percent_of_the_time() -> None:
    lam, c = 1.0, 2  # rho = 0.5
    scenario = mmc_scenario(lam, 1.0, c, 300, warmup=30)
    truth = mmc(lam, 1.0, c).wq
    covered = 0
    for i in range(EXPERIMENTS):
        reps = replicate(scenario, "async", REPS, seed=1000 + REPS * i, options=SERIAL)
        ci = reps.interval("queue_wait_s.mean")
        covered += ci.low <= truth <= ci.high
    coverage = covered / EXPERIMENTS
    assert 0.95 - BAND <= coverage <= 0.95 + BAND, coverage


def test_replications_are_the_single_runs_of_consecutive_seeds() -> None:
    from sim import run

    scenario = load_scenario("email_signup", {"duration": 10})
    reps = replicate(scenario, "async", 3, seed=7, options=SERIAL)
    assert reps.seeds == (7, 8, 9)
    assert reps.summaries[1] == run(scenario, "async", 8).summary
    values = reps.values("response_time_s.p95")
    assert reps.interval("response_time_s.p95") == interval(values)
    assert list(reps.frame()["seed"]) == [7, 8, 9]


def test_every_backend_gives_identical_results(dask_address: str) -> None:
    scenario = load_scenario("email_signup", {"duration": 15})
    vary = {"arrivals.rate": [10, 30], "workers.count": [1, 2]}
    seen: list[tuple[int, int]] = []
    results = {
        name: sweep(scenario, vary, "both", 2, options=Options(
            backend=name, workers=2, scheduler=dask_address,
            progress=(lambda d, t: seen.append((d, t))) if name == "dask" else None))
        for name in ("serial", "processes", "dask")}
    base = results["serial"]
    assert len(base.points) == 2 * 2 * 2 * 2
    for name in ("processes", "dask"):
        pd.testing.assert_frame_equal(results[name].points, base.points, check_exact=True)
        pd.testing.assert_frame_equal(results[name].summary, base.summary, check_exact=True)
    assert seen[0] == (0, 16) and seen[-1] == (16, 16) and len(seen) == 17


def test_unreachable_scheduler_is_a_one_line_error() -> None:
    from sim.experiment import BackendError, execute
    from sim.experiment.backends import Job

    scenario = load_scenario("email_signup", {"duration": 5})
    with pytest.raises(BackendError) as err:
        execute([Job(scenario.model_dump_json(), "async", 1)], "dask",
                scheduler="tcp://127.0.0.1:9")
    assert "\n" not in str(err.value) and "tcp://127.0.0.1:9" in str(err.value)


def test_sweep_uses_common_random_numbers_and_flags_overload_from_fields() -> None:
    scenario = load_scenario("email_signup", {"duration": 20, "limits.max_in_system": 200})
    grid = sweep(scenario, {"arrivals.rate": [5, 200]}, "both", 2, options=SERIAL)
    rows = grid.points.set_index(["arrivals.rate", "mode", "rep"])
    assert not rows.loc[(5, "sync", 0), "overloaded"]
    assert rows.loc[(200, "sync", 0), "stopped_at_bound"]  # stopped at limits.max_in_system
    assert rows.loc[(200, "sync", 0), "stop_reason"] == "overloaded"
    # async answers fast, but its workers are offered more than they can do: still overloaded
    assert rows.loc[(200, "async", 0), "offered_load"] >= 1
    assert rows.loc[(200, "async", 0), "overloaded"]
    # same seeds at every point and in both modes: the same users arrive
    assert list(grid.points["seed"].unique()) == [42, 43]
    assert rows.loc[(5, "sync", 1), "requests.arrived"] == rows.loc[(5, "async", 1),
                                                                    "requests.arrived"]
    p95 = grid.metric("response_time_s.p95").set_index(["arrivals.rate", "mode"])
    assert p95.loc[(200, "sync"), "overloaded"] and not p95.loc[(5, "sync"), "overloaded"]
    assert p95.loc[(5, "sync"), "ci_low"] <= p95.loc[(5, "sync"), "mean"]


def test_sweep_rejects_unknown_keys_and_bad_values_before_running() -> None:
    scenario = load_scenario("email_signup")
    with pytest.raises(ScenarioError, match=r"workers\.cuont"):
        sweep(scenario, {"workers.cuont": [1, 2]}, options=SERIAL)
    with pytest.raises(ScenarioError, match=r"workers\.count"):
        sweep(scenario, {"workers.count": [1, 0]}, options=SERIAL)


def test_cache_reuses_points_and_progress_counts_them() -> None:
    scenario = load_scenario("email_signup", {"duration": 10})
    cache: dict = {}
    first = load_sweep(scenario, values=[5, 10], options=Options("serial", cache=cache))
    assert len(cache) == 4
    calls: list[tuple[int, int]] = []
    again = load_sweep(scenario, values=[5, 10, 20], options=Options(
        "serial", cache=cache, progress=lambda d, t: calls.append((d, t))))
    assert calls[0] == (4, 6) and calls[-1] == (6, 6)  # 4 cached, 2 new
    pd.testing.assert_frame_equal(first.points, again.points.iloc[:4], check_exact=True,
                                  check_dtype=False)


def test_planner_finds_the_erlang_c_answer_on_mmc() -> None:
    # lambda = 3.5, mu = 1: Erlang C mean waits are 1.48 s (c=4), 0.25 s (c=5), 0.07 s (c=6);
    # the smallest c with a mean wait under 0.5 s is 5, with wide margins on both sides.
    lam = 3.5
    assert mmc(lam, 1.0, 4).wq > 0.5 > mmc(lam, 1.0, 5).wq
    scenario = mmc_scenario(lam, 1.0, 1, 300, warmup=30)
    plan = capacity_plan(scenario, {"queue_wait_s.mean": 0.5}, knob="workers.count",
                         range=(1, 16), reps=5, options=SERIAL)
    assert plan.answer == 5 and plan.monotone
    tried = plan.points.set_index("value")
    assert not tried.loc[4, "meets"] and tried.loc[5, "meets"]  # the boundary was run
    assert len(tried) < 16 and len(tried) <= 7  # bisection, not every value
    assert tried.loc[5, "queue_wait_s.mean ci_high"] <= 0.5
    assert "workers.count = 5" in plan.sentence()


def test_planner_says_when_nothing_in_range_meets_the_slo() -> None:
    scenario = mmc_scenario(3.5, 1.0, 1, 100, warmup=10)
    plan = capacity_plan(scenario, {"queue_wait_s.mean": 0.001}, range=(1, 3), reps=2,
                         options=SERIAL)
    assert plan.answer is None and len(plan.points) == 1 and "No workers.count" in plan.sentence()
    with pytest.raises(ScenarioError, match=r"--slo nope\.p95"):
        capacity_plan(scenario, {"nope.p95": 1}, range=(1, 3), reps=2, options=SERIAL)
    with pytest.raises(ScenarioError, match="--knob"):
        capacity_plan(scenario, {"queue_wait_s.mean": 1}, knob="broker.kind", reps=2,
                      options=SERIAL)


def test_replicate_many_runs_every_label_on_the_same_seeds() -> None:
    scenario = load_scenario("email_signup", {"duration": 10})
    both = replicate_many({"A": (scenario, "sync"), "B": (scenario, "async")}, 2,
                          curves=("response_time_s",), options=SERIAL)
    assert both["A"].seeds == both["B"].seeds
    curve = both["B"].curves[0]["response_time_s"]
    assert len(curve) == 101 and curve == sorted(curve)


def test_chart_curves_are_identical_on_every_backend_and_agree_with_the_summary(
        dask_address: str) -> None:
    from sim.experiment.curves import CHART_CURVES, ECDF_GRID

    scenario = load_scenario("email_signup", {"duration": 10, "web.timeout": 0.5})
    configs = {"sync": (scenario, "sync"), "async": (scenario, "async")}
    got = {name: replicate_many(configs, 2, curves=CHART_CURVES, options=Options(
        backend=name, workers=2, scheduler=dask_address))
        for name in ("serial", "processes", "dask")}
    for name in ("processes", "dask"):
        for label in configs:
            assert got[name][label].curves == got["serial"][label].curves
    for reps in got["serial"].values():
        for summary, curves in zip(reps.summaries, reps.curves, strict=True):
            ecdf = curves["response_ecdf"]
            assert len(ecdf["within"]) == ECDF_GRID.size
            assert ecdf["within"][-1] == pytest.approx(summary["requests"]["answered_share"])
            assert sum(curves["fates"].values()) == summary["tasks"]["published"]
            gave_up = [v for v in curves["over_time"]["gave_up"] if v is not None]
            assert len(gave_up) > 50 and all(0 <= v <= 1 for v in gave_up)
    assert got["serial"]["sync"].curves[0]["response_ecdf"]["share"] < 1  # some gave up


def test_pool_hands_out_the_heaviest_runs_first_and_keeps_results_in_order() -> None:
    from sim.experiment.backends import Job, execute, longest_first

    light = load_scenario("email_signup", {"duration": 5, "arrivals.rate": 5})
    heavy = load_scenario("email_signup", {"duration": 5, "arrivals.rate": 40})
    jobs = [Job(sc.model_dump_json(), "async", s) for sc in (light, heavy) for s in (1, 2)]
    assert longest_first(jobs) == [2, 3, 0, 1]
    results = execute(jobs, "processes", workers=2)
    assert [r["summary"] for r in results] == [r["summary"] for r in execute(jobs, "serial")]
    assert results[0]["summary"]["requests"]["arrived"] < results[2]["summary"]["requests"][
        "arrived"]
