"""Experiments are bounded: their total work is checked before any run (and estimated close to
what the runs then do), the number of runs and replications before anything is built, and an
experiment stopped from outside ends the runs under way and keeps exactly what finished,
identical to the same points of the experiment run to the end."""

from __future__ import annotations

import multiprocessing
import time

import pandas as pd
import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

from sim import load_scenario
from sim.bounds import RUN_OVERHEAD_EVENTS, ExperimentRefused, RunRefused, experiment_plan
from sim.cli import main
from sim.experiment import (
    ExperimentStopped,
    Options,
    capacity_plan,
    replicate_many,
    sweep,
)
from sim.experiment.core import grid
from sim.scenario import ScenarioError
from ui.run_guard import SessionWatch

VARY = {"workers.count": [1, 2, 3, 4]}


def small():
    return load_scenario("email_signup", {"duration": 20})


class StopAfter:
    """A stop check that answers once ``count`` runs have finished (it is also the progress
    callback, so it knows)."""

    def __init__(self, count: int) -> None:
        self.count, self.done = count, 0

    def progress(self, done: int, _total: int) -> None:
        self.done = done

    def __call__(self) -> str | None:
        return "enough" if self.done >= self.count else None


def test_an_experiment_over_its_work_bound_is_refused_before_any_run() -> None:
    ran: list[int] = []
    options = Options(backend="serial", max_work=50_000, smaller="run less",
                      progress=lambda d, t: ran.append(d))
    with pytest.raises(ExperimentRefused, match=r"\d+ runs.*the limit is 50,000: run less"):
        sweep(small(), VARY, "both", 3, options=options)
    with pytest.raises(ExperimentRefused):
        replicate_many({"a": (small(), "sync"), "b": (small(), "async")}, 20, options=options)
    with pytest.raises(ExperimentRefused):
        capacity_plan(small(), {"user_wait_s.p95": 2}, range=(1, 64), reps=5, options=options)
    assert ran == []


def test_the_work_estimate_is_close_to_the_work_the_runs_do() -> None:
    scenario = load_scenario("email_signup", {"duration": 60, "task.failure_rate": 0.3})
    result = sweep(scenario, VARY, "both", 2, options=Options(backend="serial"))
    done = result.points["run.events"].sum()
    points = [(sc, mode) for _combo, sc in grid(scenario, VARY) for mode in ("sync", "async")]
    plan = experiment_plan(points, 2)
    estimate = plan.work - plan.runs * RUN_OVERHEAD_EVENTS
    assert plan.runs == len(result.points) == 16
    assert 0.85 < done / estimate < 1.15, (done, estimate)


def test_a_run_too_big_on_its_own_is_named_before_the_experiment_starts() -> None:
    big = load_scenario("email_signup", {"duration": 10_000, "task.poison_rate": 1,
                                         "retry.max_retries": 100})
    with pytest.raises(RunRefused, match=r"this run would.*limits\.max_events"):
        replicate_many({"a": (big, "async")}, 2, options=Options(backend="serial"))


def test_counts_are_bounded_before_the_grid_is_built() -> None:
    million = {"arrivals.rate": list(range(1, 1001)), "workers.count": list(range(1, 1001))}
    with pytest.raises(ScenarioError, match=r"1,000,000 points.*the most is 100,000"):
        sweep(small(), million, "both", 10)
    with pytest.raises(ScenarioError, match="1,000,000 points"):
        grid(small(), million)
    with pytest.raises(ScenarioError, match="--reps: must be a whole number from 1 to 1000"):
        replicate_many({"a": (small(), "async")}, 10**12)


@pytest.mark.parametrize("backend", ["serial", "processes", "dask"])
def test_a_stopped_sweep_keeps_exactly_the_points_that_finished(backend: str,
                                                                request) -> None:
    scheduler = request.getfixturevalue("dask_address") if backend == "dask" else None
    full = sweep(small(), VARY, "both", 2, options=Options(backend="serial"))
    stop = StopAfter(9)
    with pytest.raises(ExperimentStopped, match="enough") as info:
        sweep(small(), VARY, "both", 2,
              options=Options(backend=backend, workers=2, scheduler=scheduler,
                              should_stop=stop, progress=stop.progress))
    partial = info.value.partial
    finished = sum(r is not None for r in info.value.results)
    assert 9 <= finished < 16 and partial is not None
    kept = sorted(partial.points["workers.count"].unique())
    assert 1 <= len(kept) <= finished // 4  # only points whose 4 runs all finished
    expected = full.points[full.points["workers.count"].isin(kept)].reset_index(drop=True)
    pd.testing.assert_frame_equal(partial.points, expected)
    expected = full.summary[full.summary["workers.count"].isin(kept)].reset_index(drop=True)
    pd.testing.assert_frame_equal(partial.summary, expected)


def test_stopping_ends_the_runs_under_way_in_the_worker_processes() -> None:
    long = load_scenario("email_signup", {"duration": 50_000})  # each run: minutes of CPU
    others = set(multiprocessing.active_children())  # e.g. a Dask cluster of another test
    started = time.monotonic()
    with pytest.raises(ExperimentStopped, match="late") as info:
        replicate_many({"a": (long, "async")}, 4, options=Options(
            backend="processes", workers=2,
            should_stop=lambda: "late" if time.monotonic() - started > 1 else None))
    assert info.value.partial is None and not any(info.value.results)
    assert set(multiprocessing.active_children()) <= others  # terminated, not left running


def test_a_stopped_replication_keeps_the_seeds_every_configuration_finished() -> None:
    configs = {"sync": (small(), "sync"), "async": (small(), "async")}
    full = replicate_many(configs, 4, options=Options(backend="serial"))
    stop = StopAfter(6)  # all 4 sync runs, then 2 async ones
    with pytest.raises(ExperimentStopped) as info:
        replicate_many(configs, 4, options=Options(backend="serial", should_stop=stop,
                                                   progress=stop.progress))
    partial = info.value.partial
    assert partial["sync"].seeds == partial["async"].seeds == full["sync"].seeds[:2]
    assert partial["async"].summaries == full["async"].summaries[:2]


def test_a_stopped_search_is_an_incomplete_plan_of_the_settings_tried() -> None:
    stop = StopAfter(6)  # three settings of two replications
    with pytest.raises(ExperimentStopped) as info:
        capacity_plan(small(), {"queue_wait_s.p95": 0.5}, range=(1, 64), reps=2, mode="async",
                      options=Options(backend="serial", should_stop=stop,
                                      progress=stop.progress))
    plan = info.value.partial
    assert not plan.complete and plan.answer is None and len(plan.points) == 3
    assert plan.sentence().startswith("The search stopped before it finished: of the 3 settings")
    assert "is at most that" in plan.sentence()  # 64 workers met the objective


def test_a_rerun_request_stops_the_experiment_and_is_handed_back() -> None:
    watch = SessionWatch(budget=600)
    calls = []

    def yield_check() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise RerunException(None)

    watch.yield_check = yield_check
    with pytest.raises(ExperimentStopped, match="the page changed"):
        sweep(small(), VARY, "both", 2, options=Options(backend="serial", should_stop=watch))
    with pytest.raises(RerunException):
        watch.raise_pending()


@pytest.mark.parametrize(("args", "flag", "allowed"), [
    (["run", "email_signup", "--reps", "100000000000"], "--reps", "from 1 to 1,000"),
    (["sweep", "email_signup", "--vary", "workers.count=1", "--reps", "5000"], "--reps",
     "from 1 to 1,000"),
    (["sweep", "email_signup", "--vary", "workers.count=1", "--jobs", "100000"], "--jobs",
     "from 1 to 256"),
    (["sweep", "email_signup", "--vary", "arrivals.rate=1:10:1000",
      "--vary", "workers.count=1:1000:1000"], "--vary", "the most is 100,000"),
    (["sweep", "email_signup", "--vary", "arrivals.rate=1:10:1000000"], "--vary",
     "from 1 to 1000"),
    (["run", "email_signup", "--mode", "both", "--reps", "1000", "--set", "duration=20000"],
     "--reps", "the limit is 200.0 million"),
    (["plan", "email_signup", "--slo", "user_wait_s.p95=2", "--range", "1:1000000"],
     "--range", "≤ 1000"),
])
def test_absurd_experiments_exit_2_naming_the_flag_and_the_range(args, flag, allowed,
                                                                capsys) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and flag in err and allowed in err, err
