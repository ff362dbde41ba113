"""The calibration lab's parts on synthetic data: traces, samples, the fit, the comparison."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from scipy import stats

from sim import run
from sim.calibrate.compare import Cell, Measured, Twin, cells, error, log_error
from sim.calibrate.fit import FitError, fit_overheads, lognormal
from sim.calibrate.measure import RealRun, dispatch_samples, overhead_samples
from sim.calibrate.trace import calibration_scenario, load_rate, make_trace
from sim.scenario import from_dict, load_scenario

BASE = load_scenario("celery_redis_measured")


def real_run(published, started, ended, pid, service) -> RealRun:
    arrays = [np.asarray(x, dtype=float) for x in (published, started, ended, service)]
    return RealRun(arrays[0], arrays[1], arrays[2], np.asarray(pid), arrays[3],
                   np.zeros(len(arrays[0])))


# --- traces -----------------------------------------------------------------------------------


def test_trace_is_poisson_with_the_scenario_service_times():
    rate = load_rate(BASE, 0.6)
    assert rate == pytest.approx(0.6 * 2 / 0.1)
    scenario = calibration_scenario(BASE, rate=rate, duration=400, acks_late=False)
    trace = make_trace(scenario, 5)
    gaps = np.diff(np.concatenate([[0.0], trace.publish_s]))
    assert len(trace) == pytest.approx(rate * 400, rel=4 / np.sqrt(rate * 400))
    assert stats.kstest(gaps, "expon", args=(0, 1 / rate)).pvalue > 0.001
    assert stats.kstest(trace.service_s, "expon", args=(0, 0.1)).pvalue > 0.001
    assert (np.diff(trace.publish_s) >= 0).all() and trace.publish_s[-1] <= 400


def test_trace_depends_on_the_seed_only():
    scenario = calibration_scenario(BASE, rate=12, duration=30, acks_late=False)
    late = calibration_scenario(BASE, rate=12, duration=30, acks_late=True,
                                overheads={"task_overhead": {"dist": "constant", "value": 0.1}})
    a, b = make_trace(scenario, 3), make_trace(late, 3)
    assert np.array_equal(a.publish_s, b.publish_s)
    assert np.allclose(a.service_s, b.service_s, atol=1e-12)
    assert not np.array_equal(a.publish_s, make_trace(scenario, 4).publish_s)


def test_calibration_scenario_is_the_queueing_core_and_publishes_on_arrival():
    scenario = calibration_scenario(load_scenario("email_signup"), rate=5, duration=60,
                                    acks_late=True)
    assert scenario.broker.kind == "redis" and scenario.workers.count == 1
    assert scenario.workers.acks_late and scenario.task.failure_rate == 0
    result = run(scenario, "async", 1)
    published = result.tasks["published"].to_numpy()
    arrival = result.requests["arrival"].to_numpy()[result.tasks["request_id"].to_numpy()]
    assert np.array_equal(published, arrival)


def test_replayed_arrival_times_keep_the_task_sizes():
    scenario = calibration_scenario(BASE, rate=10, duration=50, acks_late=False)
    trace = make_trace(scenario, 2)
    shifted = trace.publish_s + np.linspace(0, 0.2, len(trace))  # publishes went out late
    result = run(scenario.model_copy(update={"duration": 51.0}), "async", 2,
                 arrival_times=shifted.tolist())
    assert np.allclose(result.tasks["published"], shifted)
    runs = result.attempts.set_index("task_id")
    assert np.allclose((runs["end"] - runs["start"]).to_numpy(), trace.service_s)


# --- samples from a hand-built schedule ---------------------------------------------------------


def test_samples_from_a_hand_built_schedule():
    """One pool process. Task 0 meets an idle worker (dispatch 5 ms); tasks 1 and 2 arrive
    while it runs, so 1 waits and starts 12 ms after 0's body; 2 starts 9 ms after 1's."""
    run_ = real_run(published=[0.0, 0.01, 0.02, 5.0],
                    started=[0.005, 0.117, 0.326, 5.004],
                    ended=[0.105, 0.317, 0.426, 5.104],
                    pid=[7, 7, 7, 7], service=[0.1, 0.2, 0.1, 0.1])
    assert np.allclose(dispatch_samples(run_, concurrency=1), [0.005, 0.004])
    assert np.allclose(overhead_samples(run_), [0.012, 0.009])


def test_a_second_free_slot_counts_as_free():
    run_ = real_run(published=[0.0, 0.01], started=[0.004, 0.016], ended=[0.5, 0.5],
                    pid=[1, 2], service=[0.496, 0.484])
    assert np.allclose(dispatch_samples(run_, concurrency=2), [0.004, 0.006])
    assert np.allclose(dispatch_samples(run_, concurrency=1), [0.004])
    assert overhead_samples(run_).size == 0  # no task followed another on the same process


# --- the fit recovers what the simulator was given -----------------------------------------------


def simulated_real_run(acks_late: bool, rho: float, overheads: dict, seed: int) -> RealRun:
    """The simulator standing in for the real worker: 2 one-slot workers, so that the worker
    index plays the pool process id."""
    data = BASE.to_dict()
    data["workers"].update(count=2, concurrency=1)
    base = from_dict(data)
    scenario = calibration_scenario(base, rate=rho * 2 / 0.1, duration=600,
                                    acks_late=acks_late, overheads=overheads)
    scenario = scenario.model_copy(update={"workers": scenario.workers.model_copy(
        update={"count": 2, "concurrency": 1})})
    result = run(scenario, "async", seed)
    att = result.attempts.sort_values("task_id")
    return real_run(att["enqueued"], att["start"], att["end"], att["worker"],
                    att["end"] - att["start"])


def test_fit_recovers_the_simulated_overheads():
    d = {"dist": "lognormal", "mean": 0.006, "cv": 1.2}
    o_early = {"dist": "lognormal", "mean": 0.010, "cv": 1.0}
    o_late = {"dist": "lognormal", "mean": 0.004, "cv": 0.5}
    keys = {"dispatch_delay": d, "task_overhead": o_early, "task_overhead_acks_late": o_late}
    late = [simulated_real_run(True, rho, keys, 10 + i) for i, rho in enumerate((0.3, 0.8))]
    early = simulated_real_run(False, 0.85, keys, 20)
    dispatch = np.concatenate([dispatch_samples(r, 2) for r in late])
    fit = fit_overheads(dispatch, overhead_samples(early),
                        np.concatenate([overhead_samples(r) for r in late]))
    assert fit.dispatch_delay["mean"] == pytest.approx(0.006, rel=0.1)
    assert fit.task_overhead["mean"] == pytest.approx(0.010, rel=0.1)
    assert fit.task_overhead_acks_late["mean"] == pytest.approx(0.004, abs=0.0015)


def test_fit_needs_enough_samples_and_gives_valid_keys():
    rng = np.random.default_rng(1)
    with pytest.raises(FitError, match="dispatch delay: only 3 samples"):
        fit_overheads(np.ones(3), np.ones(50), np.ones(50))
    fit = fit_overheads(rng.exponential(0.005, 500), rng.exponential(0.01, 500),
                        0.005 + rng.exponential(0.01, 500))
    assert fit.task_overhead_acks_late["mean"] == pytest.approx(0.01, rel=0.2)
    merged = BASE.to_dict()
    for section, keys in fit.fragment().items():
        merged[section].update(keys)
    scenario = from_dict(yaml.safe_load(yaml.safe_dump(merged)))  # the fragment is valid YAML
    assert scenario.broker.dispatch_delay.mean == fit.dispatch_delay["mean"]
    assert lognormal(-0.001, 1) == {"dist": "constant", "value": 0.0}
    assert lognormal(0.01, 50)["cv"] == 10.0


# --- the comparison ----------------------------------------------------------------------------


def twin_of(acks_late: bool, rho: float, repeat: int, real: float, plain: float,
            fitted: float) -> Twin:
    n = 10
    waits = {"real": np.full(n, real), "plain": np.full(n, plain), "fitted": np.full(n, fitted)}
    measured = Measured(repeat, acks_late, rho, 1.0, repeat, 10.0,
                        real_run(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
                                 np.zeros(n)))
    return Twin(measured, waits, {k: v + 0.1 for k, v in waits.items()}, 0.5)


def test_cells_pool_repeats_and_keep_the_spread():
    twins = [twin_of(False, 0.3, 0, 0.02, 0.01, 0.021), twin_of(False, 0.3, 1, 0.04, 0.01, 0.036),
             twin_of(True, 0.3, 0, 0.02, 0.01, 0.03)]
    table = cells(twins)
    assert [(c.acks_late, c.rho, c.tasks) for c in table] == [(False, 0.3, 20), (True, 0.3, 10)]
    first = table[0]
    assert first.wait["real"] == pytest.approx(0.03)
    assert first.wait_error("fitted") == pytest.approx(0.0285 / 0.03 - 1)
    assert first.spread["fitted"] == pytest.approx([-0.1, 0.05])
    assert first.on_target and not table[1].on_target  # +50 % at ρ 0.3
    assert log_error(table, "plain") == pytest.approx(
        (abs(np.log(0.01 / 0.03)) + abs(np.log(0.5))) / 2)
    assert error(1.0, 0.0) != error(1.0, 0.0)  # NaN, not a division error
    assert isinstance(table[0], Cell)


def burst(n: int, overhead: float) -> RealRun:
    """One pool process, n tasks of 0.1 s published at once: each starts ``overhead`` after
    the previous one's body (the first after a 5 ms dispatch)."""
    starts = 0.005 + np.arange(n) * (0.1 + overhead)
    return real_run(np.zeros(n), starts, starts + 0.1, np.ones(n, dtype=int), np.full(n, 0.1))


def quiet(n: int, stall: float, pairs: int = 12) -> RealRun:
    """Tasks 1 s apart, each meeting an idle worker (5 ms dispatch), except ``pairs`` tasks
    that arrive just after another and wait out a stall of ``stall`` after it."""
    published = np.arange(n, dtype=float)
    starts = published + 0.005
    for k in range(0, 2 * pairs, 2):
        published[k + 1] = published[k] + 0.01
        starts[k + 1] = starts[k] + 0.1 + stall
    return real_run(published, starts, starts + 0.1, np.ones(n, dtype=int), np.full(n, 0.1))


def test_slot_overhead_comes_from_busy_runs_not_from_stalls_at_low_load():
    from sim.calibrate.session import fit

    def measured(real: RealRun, acks_late: bool) -> Measured:
        return Measured(0, acks_late, 0.5, 1.0, 1, 60.0, real)

    runs = [measured(burst(40, 0.01), False), measured(quiet(40, 0.5), False),
            measured(burst(40, 0.02), True), measured(quiet(40, 0.5), True)]
    fitted = fit(runs, concurrency=1)
    assert fitted.task_overhead["mean"] == pytest.approx(0.01)  # the stall is left out
    assert fitted.dispatch_delay["mean"] == pytest.approx(0.005)
    assert fitted.task_overhead_acks_late["mean"] == pytest.approx(0.02 - 0.005)
    everything = fit([runs[1], runs[3]], concurrency=1)  # no busy run: every run counts
    assert everything.task_overhead["mean"] == pytest.approx(0.5, rel=0.01)
