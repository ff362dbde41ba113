"""Same seed, same result; sync and async see the same traffic (common random numbers)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import apply_overrides, compare, load_scenario, run
from sim.scenario import bundled_ids


def test_same_seed_gives_identical_frames():
    scenario = load_scenario("email_signup")
    a, b = run(scenario, "async", 5), run(scenario, "async", 5)
    for name in ("requests", "tasks", "attempts", "timeseries"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.summary == b.summary


def test_different_seeds_differ():
    scenario = load_scenario("email_signup")
    assert run(scenario, "async", 1).summary != run(scenario, "async", 2).summary


def test_sync_and_async_share_arrivals_and_task_sizes():
    both = compare(load_scenario("email_signup"), seed=11)
    sync, asyn = both["sync"], both["async"]
    pd.testing.assert_series_equal(sync.requests["arrival"], asyn.requests["arrival"])
    first = {mode: r.attempts[r.attempts["attempt"] == 1].merge(r.tasks, on="task_id")
             .set_index("request_id").sort_index() for mode, r in both.items()}
    duration = {mode: (f["end"] - f["start"]).dropna() for mode, f in first.items()}
    common = duration["sync"].index.intersection(duration["async"].index)
    assert len(common) > 1000
    pd.testing.assert_series_equal(duration["sync"][common], duration["async"][common])


def test_worker_count_does_not_change_the_traffic():
    scenario = load_scenario("email_signup")
    more = apply_overrides(scenario, {"workers.count": 6})
    a, b = run(scenario, "async", 3), run(more, "async", 3)
    pd.testing.assert_series_equal(a.requests["arrival"], b.requests["arrival"])
    assert b.summary["queue_wait_s"]["mean"] < a.summary["queue_wait_s"]["mean"]


def test_async_answers_far_faster_than_sync_on_email_signup():
    both = compare(load_scenario("email_signup"))
    sync_p95 = both["sync"].summary["response_time_s"]["p95"]
    async_p95 = both["async"].summary["response_time_s"]["p95"]
    assert async_p95 * 5 < sync_p95
    handler = load_scenario("email_signup").web.service.mean
    assert async_p95 < 5 * handler


@pytest.mark.parametrize("scenario_id", bundled_ids())
def test_every_bundled_scenario_is_deterministic(scenario_id):
    scenario = load_scenario(scenario_id)
    scenario = apply_overrides(scenario, {"duration": min(scenario.duration, 120)})
    for mode in ("sync", "async"):
        a, b = run(scenario, mode, 4), run(scenario, mode, 4)
        assert a.summary == b.summary
        pd.testing.assert_frame_equal(a.attempts, b.attempts)
        pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
