"""Conservation, attempt limits and ordering on bundled and on random valid scenarios."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import apply_overrides, load_scenario, run
from sim.scenario import bundled_ids, from_dict
from tests.model.invariants import check_all

DISTS = st.one_of(
    st.builds(lambda v: {"dist": "constant", "value": v}, st.floats(0, 2)),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.01, 2)),
    st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv},
              st.floats(0.01, 2), st.floats(0, 3)),
    st.builds(lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w},
              st.floats(0, 1), st.floats(0, 1)),
    st.builds(lambda m, k: {"dist": "erlang", "mean": m, "k": k},
              st.floats(0.01, 2), st.integers(1, 5)),
)


BROKERS = st.one_of(
    st.builds(lambda n, o, t, d, dl: {"kind": "rabbitmq", "max_length": n, "overflow": o,
                                      "message_ttl": t, "delivery_limit": d, "dead_letter": dl},
              st.sampled_from([0, 0, 5, 50]),
              st.sampled_from(["drop-head", "reject-publish", "reject-publish-dlx"]),
              st.sampled_from([0, 0, 2.0]), st.sampled_from([0, 1, 3]), st.booleans()),
    st.builds(lambda v, r, w: {"kind": "redis", "visibility_timeout": v, "restore_interval": r,
                               "publish_retry_window": w},
              st.floats(0.5, 20), st.sampled_from([1.0, 5.0, 100.0]), st.sampled_from([0, 1.0])),
    st.builds(lambda p, k, s, a, r, t: {"kind": "kafka", "partitions": p, "keys": k,
                                        "key_skew": s, "enable_auto_commit": a,
                                        "auto_commit_interval": 2.0, "rebalance_pause": 1.0,
                                        "retry_topic": r, "session_timeout": t},
              st.integers(1, 6), st.integers(1, 50), st.floats(0, 2), st.booleans(),
              st.booleans(), st.sampled_from([0, 2.0, 45.0])),
)

BREAKERS = st.integers(1, 30).flatmap(lambda window: st.fixed_dictionaries({
    "enabled": st.booleans(), "failure_rate_threshold": st.floats(0.05, 1),
    "sliding_window": st.just(window), "minimum_calls": st.integers(1, window),
    "wait_in_open": st.floats(0.1, 10), "half_open_calls": st.integers(1, 5)}))

FAULTS = st.lists(st.one_of(
    st.builds(lambda at, c, r, s: {"kind": "worker_crash", "at": at, "count": c,
                                   "restart_after": r, "scope": s},
              st.floats(0, 30), st.integers(1, 3), st.one_of(st.none(), st.floats(0, 10)),
              st.sampled_from(["worker", "worker", "child"])),
    st.builds(lambda at, d: {"kind": "broker_outage", "at": at, "duration": d},
              st.floats(0, 30), st.floats(0.1, 10)),
    st.builds(lambda at, d: {"kind": "downstream_outage", "at": at, "duration": d},
              st.floats(0, 30), st.floats(0.1, 10)),
    st.builds(lambda at, d, f: {"kind": "downstream_slowdown", "at": at, "duration": d,
                                "factor": f},
              st.floats(0, 30), st.floats(0.1, 10), st.floats(1, 5)),
), max_size=3)


def valid_faults(faults: list[dict], broker: dict) -> list[dict]:
    """A child crash has no restart and needs a Celery broker."""
    out = []
    for fault in faults:
        if fault.get("scope") == "child":
            fault = ({**fault, "scope": "worker"} if broker["kind"] == "kafka"
                     else {**fault, "restart_after": None})
        out.append(fault)
    return out


@st.composite
def scenarios(draw):
    timeout = draw(st.one_of(st.none(), st.floats(0.1, 10)))
    broker = draw(BROKERS)
    return {
        "duration": draw(st.floats(1, 40)),
        "seed": draw(st.integers(0, 2**32)),
        "arrivals": {"rate": draw(st.floats(0.5, 40)),
                     "client_retries": draw(st.integers(0, 2)) if timeout else 0,
                     "deadline": draw(st.sampled_from([0, 0, 0.5, 5.0])),
                     "profile": draw(st.lists(st.builds(lambda a, r: {"at": a, "rate": r},
                                                        st.floats(0, 40), st.floats(0, 30)),
                                              max_size=3).map(
                                                  lambda s: sorted(s, key=lambda x: x["at"])))},
        "web": {"workers": draw(st.integers(1, 16)), "service": draw(DISTS),
                "publish": draw(DISTS), "timeout": timeout,
                "max_queue": draw(st.sampled_from([0, 0, 1, 10]))},
        "task": {"service": draw(DISTS), "failure_rate": draw(st.floats(0, 1)),
                 "poison_rate": draw(st.sampled_from([0, 0, 0.1])),
                 "retry_on_soft_time_limit": draw(st.booleans()),
                 "expires": draw(st.sampled_from([0, 0, 0.5, 5.0]))},
        "downstream": {"capacity": draw(st.sampled_from([0, 0, 1, 4])),
                       "timeout": draw(st.sampled_from([0, 0, 0.5, 2.0]))},
        "broker": broker,
        "workers": {"count": draw(st.integers(1, 5)), "concurrency": draw(st.integers(1, 4)),
                    "prefetch_multiplier": draw(st.integers(1, 4)),
                    "acks_late": draw(st.booleans()),
                    "task_reject_on_worker_lost": draw(st.booleans()),
                    "rate_limit": draw(st.sampled_from([None, None, "5/s", "30/m"])),
                    "soft_time_limit": draw(st.sampled_from([None, None, 0.5])),
                    "time_limit": draw(st.sampled_from([None, None, 1.0]))},
        "faults": valid_faults(draw(FAULTS), broker),
        "retry": {"max_retries": draw(st.integers(0, 4)),
                  "backoff": draw(st.sampled_from(["none", "fixed", "exponential"])),
                  "base": draw(st.floats(0, 2)), "cap": draw(st.floats(0, 10)),
                  "jitter": draw(st.sampled_from(["none", "full", "equal", "decorrelated"])),
                  "budget": {"ratio": draw(st.sampled_from([0, 0, 0.1, 0.5])),
                             "min_per_second": draw(st.sampled_from([0, 1.0]))}},
        "circuit_breaker": draw(BREAKERS),
        "limits": {"max_in_system": draw(st.integers(10, 2000)), "max_drain": 300},
    }


@pytest.mark.parametrize("scenario_id", bundled_ids())
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_bundled_scenarios_keep_every_request_and_task(scenario_id, mode):
    check_all(run(load_scenario(scenario_id), mode))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), mode=st.sampled_from(["sync", "async"]))
def test_random_scenarios_keep_every_request_and_task(data, mode):
    check_all(run(from_dict(data), mode))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), mode=st.sampled_from(["sync", "async"]))
def test_random_scenarios_are_deterministic(data, mode):
    scenario = from_dict(data)
    a, b = run(scenario, mode, 3), run(scenario, mode, 3)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.attempts, b.attempts)


def test_the_request_bound_stops_arrivals_of_a_huge_stable_run():
    scenario = from_dict({"duration": 1_000_000, "arrivals": {"rate": 50},
                          "task": {"service": {"dist": "constant", "value": 0.01}},
                          "limits": {"max_requests": 3000}})
    result = run(scenario, "async")
    assert result.summary["requests"]["arrived"] == 3000
    assert any("limits.max_requests" in w for w in result.warnings)
    check_all(result)


def test_overload_stops_at_the_bound_with_a_warning():
    scenario = from_dict({"duration": 100_000, "arrivals": {"rate": 50},
                          "task": {"service": {"dist": "constant", "value": 1.0}},
                          "workers": {"count": 1, "concurrency": 2},
                          "limits": {"max_in_system": 2000}})
    result = run(scenario, "async")
    assert any("overloaded" in w for w in result.warnings)
    assert any("in the broker queue" in w for w in result.warnings)  # says where
    assert result.summary["run"]["end_time_s"] < 1000
    assert result.summary["tasks"]["in_queue"] > 1000
    check_all(result)


def test_overloaded_sync_web_tier_also_stops():
    scenario = from_dict({"duration": 100_000, "arrivals": {"rate": 50},
                          "web": {"workers": 4},
                          "task": {"service": {"dist": "constant", "value": 1.0}},
                          "limits": {"max_in_system": 1000}})
    result = run(scenario, "sync")
    assert any("web threads" in w for w in result.warnings)
    assert any("stopped at" in w and "waiting for a web thread" in w for w in result.warnings)
    check_all(result)


def test_client_timeout_counts_timed_out_not_in_percentiles():
    scenario = from_dict({"duration": 60, "arrivals": {"rate": 12},
                          "web": {"workers": 4, "timeout": 1.0},
                          "task": {"service": {"dist": "constant", "value": 0.5}}})
    result = run(scenario, "sync")
    s = result.summary
    assert s["requests"]["timed_out"] > 0
    assert s["response_time_s"]["max"] <= 1.0
    check_all(result)


def test_a_capped_downstream_is_named_when_it_is_the_bottleneck():
    scenario = apply_overrides(load_scenario("email_signup"), {"downstream.capacity": 1})
    result = run(scenario, "async")
    assert any("downstream" in w and "grows without bound" in w for w in result.warnings)
