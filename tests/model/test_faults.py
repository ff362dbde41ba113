"""Downstream capacity, injected faults, client retries, arrival profiles, retry storms."""

from __future__ import annotations

import numpy as np
import pytest

from sim import apply_overrides, compare, load_scenario, run
from sim.scenario import from_dict
from tests.model.invariants import check_all


def goodput(result, start, end):
    """Successful responses per second among requests answered in [start, end)."""
    r = result.requests
    ok = (r["outcome"] == "completed") & (r["end"] >= start) & (r["end"] < end)
    return ok.sum() / (end - start)


def test_downstream_capacity_makes_tasks_wait_for_a_connection():
    base = from_dict({"duration": 120, "arrivals": {"rate": 6},
                      "task": {"service": {"dist": "exponential", "mean": 0.5}},
                      "workers": {"count": 2, "concurrency": 4}})
    capped = apply_overrides(base, {"downstream.capacity": 4})
    free, slow = run(base, "async"), run(capped, "async")
    check_all(slow)
    assert slow.summary["task_latency_s"]["mean"] > 1.3 * free.summary["task_latency_s"]["mean"]
    assert slow.timeseries["downstream_busy_max"].max() <= 4
    assert slow.timeseries["downstream_queue_max"].max() > 0
    # the same cap applies to sync handlers
    sync = run(capped, "sync")
    assert sync.timeseries["downstream_busy_max"].max() <= 4


def test_fault_windows_are_in_the_time_series_and_the_summary():
    result = run(load_scenario("broker_outage"), "async")
    ts = result.timeseries
    inside = ts["fault_broker_outage"] == 1
    assert ts.loc[inside, "time"].min() >= 60 and ts.loc[inside, "time"].max() <= 75 + 0.4
    assert result.summary["faults"] == [
        {"kind": "broker_outage", "start": 60.0, "end": 75.0, "label": "broker down"}]


def test_broker_outage_fails_requests_only_during_the_outage():
    both = compare(load_scenario("broker_outage"))
    asyn = both["async"]
    failed = asyn.requests[asyn.requests["outcome"] == "failed"]
    assert len(failed) > 0
    assert failed["end"].between(60, 75).all()
    assert asyn.summary["tasks"]["rejected_publishes"] == len(failed)
    assert both["sync"].summary["requests"]["failed"] == 0  # sync never touches the broker


def test_downstream_outage_and_slowdown_hit_both_designs():
    base = load_scenario("email_signup")
    outage = apply_overrides(base, {"faults": [{"kind": "downstream_outage", "at": 40,
                                                "duration": 10}]})
    slow = apply_overrides(base, {"faults": [{"kind": "downstream_slowdown", "at": 40,
                                              "duration": 20, "factor": 4}]})
    for mode in ("sync", "async"):
        plain, broken = run(base, mode), run(outage, mode)
        check_all(broken)
        assert broken.summary["tasks"]["retries"] > plain.summary["tasks"]["retries"] + 50
        a = broken.attempts
        during = a[(a["start"] >= 40) & (a["start"] < 50)]
        assert (during["outcome"] == "failure").all() and len(during) > 0
        slowed = run(slow, mode).attempts
        in_window = slowed[(slowed["start"] >= 41) & (slowed["start"] < 59)]
        before = slowed[slowed["start"] < 39]
        ratio = (in_window["end"] - in_window["start"]).mean() / \
            (before["end"] - before["start"]).mean()
        assert 2.5 < ratio < 6


def test_a_worker_crash_without_restart_never_comes_back():
    scenario = apply_overrides(load_scenario("worker_crash_ack_modes"),
                               {"faults": [{"kind": "worker_crash", "at": 60, "count": 1}]})
    result = run(scenario, "async")
    check_all(result)
    assert not (result.attempts[result.attempts["start"] > 60]["worker"] == 0).any()


def test_client_retries_send_the_same_request_again_after_a_timeout():
    base = from_dict({"duration": 120, "mode": "sync", "arrivals": {"rate": 6},
                      "web": {"workers": 4, "timeout": 2.0},
                      "task": {"service": {"dist": "exponential", "mean": 0.6}}})
    patient = run(base, "sync")
    retrying = run(apply_overrides(base, {"arrivals.client_retries": 2}), "sync")
    check_all(retrying)
    assert patient.summary["requests"]["retried"] == 0
    retried = retrying.summary["requests"]["retried"]
    assert retried > 0
    assert retrying.summary["requests"]["arrived"] == patient.summary["requests"]["arrived"] \
        + retried
    # retries make it worse: more of the original users end up timing out
    assert retrying.summary["requests"]["timed_out"] > patient.summary["requests"]["timed_out"]


def test_arrival_profile_follows_its_rate_steps():
    result = run(load_scenario("traffic_spike"), "async")
    arrivals = result.requests["arrival"].to_numpy()
    counts = np.histogram(arrivals, [0, 60, 120, 240])[0] / np.array([60, 60, 120])
    assert counts == pytest.approx([5, 30, 5], rel=0.15)


def test_traffic_spike_is_absorbed_by_the_queue_in_async_mode():
    both = compare(load_scenario("traffic_spike"))
    assert both["async"].summary["response_time_s"]["p95"] < 0.2
    assert both["sync"].summary["response_time_s"]["p95"] > 10
    assert both["async"].timeseries["queue_depth_max"].max() > 100


def test_retry_storm_never_recovers_with_immediate_retries_but_does_with_backoff():
    storm = load_scenario("retry_storm")
    calm = apply_overrides(storm, {"retry.backoff": "exponential", "retry.jitter": "full"})
    stormy, recovered = run(storm, "sync"), run(calm, "sync")
    check_all(stormy)
    check_all(recovered)
    for result in (stormy, recovered):  # healthy before the outage at t=60
        assert goodput(result, 10, 60) > 18
    assert goodput(stormy, 120, 300) < 1  # the backlog keeps growing after the outage
    assert goodput(recovered, 120, 300) > 18  # back to the arrival rate
    assert stormy.summary["requests"]["retried"] > 10 * recovered.summary["requests"]["retried"]
