"""Each defence, run in the model and checked from the records: the circuit breaker opens on
failures and half-opens after wait_in_open, the retry budget caps retries, shed requests never
reach a thread, expired tasks do no work; conservation and determinism with every new outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import apply_overrides, load_scenario, run
from sim.model.budget import BUDGET_TTL_S
from sim.scenario import from_dict
from tests.model.invariants import check_all

STORM = load_scenario("metastable_retry_storm")
SEEDS = (1, 2)


def storm(seed: int, mode: str = "sync", **overrides) -> object:
    return run(apply_overrides(STORM, overrides), mode, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_breaker_opens_on_failures_and_half_opens_after_wait_in_open(seed):
    result = storm(seed, **{"circuit_breaker.enabled": True})
    cb = result.scenario.circuit_breaker
    moves = result.extra["breaker_moves"]
    opened = [t for t, _, new in moves if new == "open"]
    assert opened and result.summary["circuit_breaker"]["opened"] == len(opened)
    fault = result.summary["faults"][0]
    assert fault["start"] <= opened[0] < fault["end"]  # it opened because of the outage
    attempts = result.attempts
    real = attempts[attempts["outcome"] != "short_circuited"]
    for when, old, new in moves:
        if new == "half_open":
            assert old == "open"
            assert any(np.isclose(when, t + cb.wait_in_open) for t in opened)
    for t in opened:  # while open, no call reaches the downstream
        assert not ((real["start"] > t) & (real["start"] < t + cb.wait_in_open)).any()
    fast = attempts[attempts["outcome"] == "short_circuited"]
    assert len(fast) == result.summary["circuit_breaker"]["fast_failures"] > 0
    assert (fast["end"] == fast["start"]).all()  # fail fast: no wait
    assert moves[-1][2] == "closed"  # and it closed again once the downstream was back
    series = result.timeseries
    assert series["breaker_open_max"].max() == 1
    open_s = float((series["breaker_open_mean"] * np.diff(series["time"], prepend=0)).sum())
    assert open_s == pytest.approx(result.summary["circuit_breaker"]["time_open_s"], rel=1e-6)
    check_all(result)


@pytest.mark.parametrize("seed", SEEDS)
def test_budget_caps_retries_in_every_window(seed):
    result = storm(seed, **{"retry.budget.ratio": 0.2, "retry.budget.min_per_second": 1.0})
    attempts = result.attempts.sort_values("start")
    starts = attempts["start"].to_numpy()
    first = np.sort(starts[attempts["attempt"].to_numpy() == 1])
    retries = np.sort(starts[attempts["attempt"].to_numpy() > 1])
    assert retries.size > 0
    for t in retries:  # immediate retries: each starts when its token was taken
        made = np.searchsorted(retries, t, "right") - np.searchsorted(retries, t - BUDGET_TTL_S,
                                                                       "right")
        deposits = np.searchsorted(first, t, "right") - np.searchsorted(first, t - BUDGET_TTL_S,
                                                                        "right")
        assert made <= 0.2 * deposits + 1.0 * BUDGET_TTL_S + 1e-9
    denied = result.tasks["reason"].astype(str) == "budget"
    assert denied.sum() == result.summary["retries"]["denied_by_budget"] > 0
    assert (result.tasks.loc[denied, "state"] == "failed").all()
    without = storm(seed)
    assert len(result.attempts) < len(without.attempts) / 3
    check_all(result)


def test_budget_denials_are_dead_lettered_when_the_broker_dead_letters():
    result = run(from_dict({
        "duration": 60, "seed": 3, "arrivals": {"rate": 10},
        "task": {"service": {"dist": "exponential", "mean": 0.05}, "failure_rate": 0.9},
        "broker": {"kind": "rabbitmq", "dead_letter": True},
        "retry": {"max_retries": 5, "backoff": "none", "budget": {"ratio": 0.1,
                                                                   "min_per_second": 0.5}}}),
        "async")
    assert result.summary["tasks"]["dead_lettered_by_reason"].get("budget", 0) > 0
    assert result.summary["tasks"]["dead_lettered_by_reason"]["budget"] == \
        result.summary["retries"]["denied_by_budget"]
    check_all(result)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_shed_requests_never_reach_a_thread(mode):
    result = run(from_dict({
        "duration": 60, "seed": 5, "arrivals": {"rate": 40},
        "web": {"workers": 4, "max_queue": 3, "service": {"dist": "exponential", "mean": 0.15}},
        "task": {"service": {"dist": "exponential", "mean": 0.05}}}), mode)
    requests = result.requests
    shed = requests[requests["outcome"] == "shed"]
    assert len(shed) == result.summary["requests"]["shed"] > 100
    assert shed["start"].isna().all() and (shed["end"] == shed["arrival"]).all()
    assert not result.tasks["request_id"].isin(shed["request_id"]).any()
    assert result.timeseries["web_queue_max"].max() <= 3
    unbounded = run(apply_overrides(result.scenario, {"web.max_queue": 0}), mode)
    assert unbounded.timeseries["web_queue_max"].max() > 3
    check_all(result)


def test_expired_sync_work_is_skipped_after_the_deadline():
    result = storm(1, **{"arrivals.deadline": 5.0})
    tasks, attempts, requests = result.tasks, result.attempts, result.requests
    deadline = requests["arrival"].to_numpy()[tasks["request_id"].to_numpy()] + 5.0
    expired = tasks["state"] == "expired"
    assert expired.sum() == result.summary["tasks"]["expired"] > 0
    per_attempt = deadline[attempts["task_id"].to_numpy()]
    assert (attempts["start"].to_numpy() < per_attempt).all()  # no call after a deadline
    assert result.summary["downstream"]["wasted_calls"] == 0
    assert storm(1).summary["downstream"]["wasted_calls"] > 1000
    check_all(result)


@pytest.mark.parametrize("broker", [{"kind": "rabbitmq"}, {"kind": "redis"},
                                    {"kind": "kafka", "partitions": 4}])
def test_expired_async_tasks_do_no_work(broker):
    result = run(from_dict({
        "duration": 60, "seed": 2, "arrivals": {"rate": 12}, "broker": broker,
        "task": {"service": {"dist": "exponential", "mean": 0.5}, "expires": 3.0},
        "workers": {"count": 1, "concurrency": 4}}), "async")
    tasks, attempts = result.tasks, result.attempts
    expired = tasks[tasks["state"] == "expired"]
    assert len(expired) == result.summary["tasks"]["expired"] > 50
    assert not attempts["task_id"].isin(expired["task_id"]).any()  # first try never started
    limit = tasks["published"].to_numpy()[attempts["task_id"].to_numpy()] + 3.0
    assert (attempts["start"].to_numpy() < limit).all()
    check_all(result)


ALL_ON = {"retry.budget.ratio": 0.2, "circuit_breaker.enabled": True, "web.max_queue": 50,
          "arrivals.deadline": 4.0, "task.expires": 4.0, "retry.backoff": "exponential",
          "retry.jitter": "full"}


@pytest.mark.parametrize("scenario_id", ["metastable_retry_storm", "retry_storm",
                                         "broker_outage", "kafka_partitions_hot_key",
                                         "visibility_timeout_duplicates"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_every_request_and_task_is_accounted_for_with_every_defence_on(scenario_id, mode):
    scenario = apply_overrides(load_scenario(scenario_id), {**ALL_ON, "duration": 60})
    check_all(run(scenario, mode))


def test_defences_are_deterministic():
    scenario = apply_overrides(STORM, {**ALL_ON, "web.max_queue": 20})
    a, b = run(scenario, "sync", 4), run(scenario, "sync", 4)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.attempts, b.attempts)
    assert a.extra["breaker_moves"] == b.extra["breaker_moves"]


def test_defences_off_change_nothing():
    """A run with every defence key at its default is the run without those keys at all."""
    data = load_scenario("retry_storm").to_dict()
    for section, key in (("retry", "budget"), ("web", "max_queue"), ("arrivals", "deadline"),
                         ("task", "expires")):
        data[section].pop(key)
    data.pop("circuit_breaker")
    a, b = run(from_dict(data), "sync", 3), run(load_scenario("retry_storm"), "sync", 3)
    assert a.summary == b.summary
