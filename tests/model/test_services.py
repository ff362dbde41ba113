"""Fan-out to several services: routing copies, per-service conservation, isolation of a slow
or crashing consumer (RabbitMQ queues and Kafka consumer groups), sync calling each service in
turn, determinism and common random numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import compare, load_scenario, run
from sim.scenario import from_dict
from tests.model.invariants import check_all
from tests.model.service_invariants import check_services

SIGNUP = {"user.signed_up": {"email", "analytics", "crm"}, "user.updated": {"analytics", "crm"}}
EMAIL_ROWS = ["published", "first_start", "finished", "state", "attempts"]


def signup(**overrides: Any):
    return load_scenario("signup_fanout", {"duration": 60, **overrides})


def own(result, name: str) -> pd.DataFrame:
    """One service's tasks, by request (task ids interleave differently in other runs)."""
    tasks = result.tasks[result.tasks["service"] == name]
    return tasks.set_index("request_id")[EMAIL_ROWS]


# --- routing copies --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_every_matched_service_gets_exactly_one_copy(mode):
    result = run(signup(), mode, 3)
    check_all(result)
    check_services(result)
    copies = result.tasks.groupby("request_id")["service"].agg(lambda s: set(map(str, s)))
    events = result.requests.set_index("request_id")["event"].astype(str)
    assert set(events) == set(SIGNUP)
    for rid, event in events.items():
        assert copies[rid] == SIGNUP[event]
    assert result.summary["tasks"]["unroutable"] == 0
    shares = events.value_counts(normalize=True)
    assert shares["user.signed_up"] == pytest.approx(0.7, abs=0.08)


def test_fanout_exchange_ignores_routing_keys():
    result = run(signup(**{"broker.exchange.type": "fanout"}), "async", 1)
    check_services(result)
    published = {n: s["tasks"]["published"] for n, s in result.summary["services"].items()}
    assert len(set(published.values())) == 1
    assert published["email"] == result.summary["requests"]["arrived"]


def test_direct_exchange_and_unroutable_events():
    scenario = signup(**{"broker.exchange.type": "direct"})  # "user.*" and "#" match literally
    result = run(scenario, "async", 1)
    check_services(result)
    s = result.summary
    updated = int((result.requests["event"] == "user.updated").sum())
    assert s["services"]["email"]["tasks"]["published"] == s["requests"]["arrived"] - updated
    assert s["services"]["analytics"]["tasks"]["published"] == 0
    assert s["services"]["crm"]["tasks"]["published"] == 0
    assert s["tasks"]["unroutable"] == updated > 0
    assert s["requests"]["failed"] == 0  # the broker confirms unroutable messages
    assert any(w.startswith("unroutable: ") and "'user.updated'" in w for w in s["warnings"])


def test_alternate_exchange_takes_unroutable_events():
    scenario = signup(**{"broker.exchange": {"type": "direct", "alternate_exchange": "unrouted"}})
    s = run(scenario, "async", 1).summary
    assert s["tasks"]["unroutable"] == 0 and s["tasks"]["to_alternate_exchange"] > 0
    assert not any(w.startswith("unroutable") for w in s["warnings"])


def test_a_queue_that_refuses_its_copy_fails_the_publish_but_not_the_other_copies():
    scenario = signup(**{"broker.max_length": 5, "broker.overflow": "reject-publish"})
    result = run(scenario, "async", 2)
    check_all(result)
    check_services(result)
    s = result.summary
    crm = s["services"]["crm"]["tasks"]
    assert crm["rejected_publishes"] > 0 and s["services"]["email"]["tasks"]["failed"] == 0
    refused = result.tasks[(result.tasks["reason"] == "publish_rejected")
                           & (result.tasks["attempts"] == 0)]  # not a retry's re-publish
    assert s["requests"]["failed"] == refused["request_id"].nunique() > 0
    siblings = result.tasks[result.tasks["request_id"].isin(refused["request_id"])
                            & (result.tasks["service"] != "crm")]
    assert len(siblings) and (siblings["state"] == "succeeded").all()


# --- isolation -------------------------------------------------------------------------------


@pytest.mark.parametrize("broker", [{"kind": "rabbitmq", "exchange": {"type": "topic"}},
                                    {"kind": "kafka", "partitions": 4},
                                    {"kind": "redis", "exchange": {"type": "topic"}}])
def test_a_slow_service_never_slows_another(broker):
    """Email's every task is the same with the CRM at its normal (overloaded) pace or ten
    times slower and crashing: each service has its own queue or consumer group."""
    base = signup(broker=broker)
    worse = signup(broker=broker, **{"services.2.task.service.mean": 15.0,
                                     "faults": [{"kind": "worker_crash", "at": 20,
                                                 "service": "crm", "restart_after": 5}]})
    a, b = run(base, "async", 4), run(worse, "async", 4)
    for result in (a, b):
        check_all(result)
        check_services(result)
    pd.testing.assert_frame_equal(own(a, "email"), own(b, "email"))
    assert b.summary["services"]["crm"]["max"]["queue_depth"] > \
        a.summary["services"]["crm"]["max"]["queue_depth"]


def test_the_slow_crm_lags_while_email_keeps_up():
    s = run(signup(), "async", 5).summary["services"]
    assert s["crm"]["max"]["queue_depth"] > 50
    assert s["email"]["max"]["queue_depth"] <= 5
    assert s["crm"]["utilization"]["workers"] > 0.95 > 0.2 > s["email"]["utilization"]["workers"]


def test_request_answers_the_same_with_one_service_or_three():
    three = signup()
    one = signup(services=[three.services[0].model_dump(mode="json")])
    a, b = run(three, "async", 6), run(one, "async", 6)
    pd.testing.assert_frame_equal(a.requests.drop(columns="event"),
                                  b.requests.drop(columns="event"))
    pd.testing.assert_frame_equal(own(a, "email"), own(b, "email"))


# --- Kafka consumer groups -------------------------------------------------------------------


def kafka(**overrides: Any):
    return signup(broker={"kind": "kafka", "partitions": 3, "enable_auto_commit": True,
                          "auto_commit_interval": 5, "rebalance_pause": 2}, **overrides)


def test_each_group_reads_every_event_in_partition_order():
    result = run(kafka(), "async", 7)
    check_all(result)
    check_services(result)
    tasks = result.tasks
    counts = tasks.groupby("service", observed=True).size()
    assert (counts == result.summary["requests"]["arrived"]).all()
    for (_name, _part), rows in tasks.groupby(["service", "partition"], observed=True):
        rows = rows.sort_values("published")
        assert np.all(np.diff(rows["first_start"].to_numpy()) >= 0)  # offsets in order
    same = tasks.pivot_table(index="request_id", columns="service", values="partition",
                             observed=True)
    assert (same.nunique(axis=1) == 1).all()  # one key, one partition, for every group


def test_groups_have_their_own_lag_offsets_and_rebalances():
    crash = kafka(faults=[{"kind": "worker_crash", "at": 30, "service": "crm",
                           "restart_after": 3}])
    calm, hit = run(kafka(), "async", 8), run(crash, "async", 8)
    check_services(hit)
    svc = hit.summary["services"]
    assert svc["crm"]["lag"]["max"] > 10 * max(1, svc["email"]["lag"]["max"])
    assert len(svc["crm"]["lag"]["per_partition_max"]) == 3
    assert svc["crm"]["tasks"]["redeliveries"] > 0  # replayed from crm's last commit
    assert svc["email"]["tasks"]["redeliveries"] == 0
    pd.testing.assert_frame_equal(own(calm, "email"), own(hit, "email"))
    per_partition = np.sum([svc[n]["lag"]["per_partition_max"] for n in svc], axis=0)
    assert (np.array(hit.summary["lag"]["per_partition_max"]) <= per_partition).all()


# --- sync: the request calls each service in turn --------------------------------------------


def test_sync_request_waits_for_every_service():
    result = run(signup(), "sync", 9)
    check_all(result)
    check_services(result)
    att = result.attempts.merge(result.tasks[["task_id", "request_id"]], on="task_id")
    busy = (att["end"] - att["start"]).groupby(att["request_id"]).sum()
    req = result.requests.set_index("request_id")
    waited = (req["end"] - req["start"])[busy.index]
    assert (waited >= busy - 1e-9).all()
    svc = result.summary["services"]
    assert result.summary["response_time_s"]["mean"] > sum(
        load_scenario("signup_fanout").services[i].task.service.mean for i in range(3)) * 0.8
    assert svc["crm"]["task_latency_s"]["mean"] > svc["email"]["task_latency_s"]["mean"]


def test_sync_stops_at_a_service_that_fails():
    scenario = signup(**{"services.0.task.failure_rate": 1.0, "services.0.retry.max_retries": 0})
    result = run(scenario, "sync", 2)
    check_services(result)
    s = result.summary
    signed_up = int((result.requests["event"] == "user.signed_up").sum())
    assert s["requests"]["failed"] == signed_up
    assert s["services"]["analytics"]["tasks"]["published"] == \
        s["requests"]["arrived"] - signed_up  # only the events email does not handle


# --- determinism and common random numbers ---------------------------------------------------


def test_same_seed_same_fanout_run():
    a, b = run(kafka(), "async", 3), run(kafka(), "async", 3)
    assert a.summary == b.summary
    for name in ("requests", "tasks", "attempts", "timeseries"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_sync_and_async_see_the_same_events_and_task_sizes():
    both = compare(signup(), seed=11)
    sync, asyn = both["sync"], both["async"]
    pd.testing.assert_series_equal(sync.requests["arrival"], asyn.requests["arrival"])
    pd.testing.assert_series_equal(sync.requests["event"], asyn.requests["event"])
    first = {}
    for mode, r in both.items():
        rows = r.attempts[r.attempts["attempt"] == 1].merge(r.tasks[["task_id", "request_id"]],
                                                            on="task_id")
        first[mode] = (rows.set_index(["request_id", "service"])["end"]
                       - rows.set_index(["request_id", "service"])["start"]).sort_index()
    common = first["sync"].index.intersection(first["async"].index)
    assert len(common) > 300
    pd.testing.assert_series_equal(first["sync"][common], first["async"][common])


def test_faults_name_a_service():
    scenario = signup(faults=[{"kind": "downstream_outage", "at": 10, "duration": 20,
                               "service": "email"}])
    result = run(scenario, "async", 1)
    check_services(result)
    svc = result.summary["services"]
    assert svc["email"]["tasks"]["retries"] > svc["analytics"]["tasks"]["retries"] == 0
    assert result.summary["faults"][0]["label"].startswith("email: ")


# --- random service sets ---------------------------------------------------------------------

WORDS = st.sampled_from(["user", "order", "signed_up", "*", "#"])
BINDING = st.lists(WORDS, min_size=0, max_size=3).map(".".join)
EVENT_KEYS = st.lists(st.sampled_from(["user", "order", "signed_up", "eu"]), min_size=0,
                      max_size=3).map(".".join)


@st.composite
def fanout_scenarios(draw):
    n = draw(st.integers(1, 4))
    keys = draw(st.lists(EVENT_KEYS, min_size=1, max_size=3, unique=True))
    weights = draw(st.lists(st.integers(1, 5), min_size=len(keys), max_size=len(keys)))
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1 - sum(shares[:-1])
    kind = draw(st.sampled_from(["rabbitmq", "redis", "kafka"]))
    broker: dict[str, Any] = {"kind": kind}
    if kind == "kafka":
        broker.update(partitions=draw(st.integers(1, 4)),
                      enable_auto_commit=draw(st.booleans()), retry_topic=draw(st.booleans()))
    else:
        broker["exchange"] = {"type": draw(st.sampled_from(["direct", "fanout", "topic"])),
                              "alternate_exchange": draw(st.sampled_from([None, "ae"]))}
        if kind == "rabbitmq":
            broker.update(max_length=draw(st.sampled_from([0, 0, 3])),
                          overflow=draw(st.sampled_from(["drop-head", "reject-publish"])))
    services = [{
        "name": f"s{i}",
        "task": {"service": {"dist": "exponential", "mean": draw(st.floats(0.01, 1.0))},
                 "failure_rate": draw(st.sampled_from([0, 0.2, 1.0]))},
        "workers": {"count": draw(st.integers(1, 2)), "concurrency": draw(st.integers(1, 3)),
                    "acks_late": draw(st.booleans())},
        "retry": {"max_retries": draw(st.integers(0, 2)), "base": 0.1},
        "routing_key": draw(st.one_of(BINDING, st.lists(BINDING, min_size=1, max_size=2))),
    } for i in range(n)]
    faults = draw(st.lists(st.builds(
        lambda at, s, k: {"kind": k, "at": at, "duration": 2.0, "service": s}
        if k != "worker_crash" else {"kind": k, "at": at, "restart_after": 2.0, "service": s},
        st.floats(0, 8), st.sampled_from([None, *(s["name"] for s in services)]),
        st.sampled_from(["worker_crash", "downstream_outage"])), max_size=2))
    if draw(st.booleans()):
        faults.append({"kind": "broker_outage", "at": draw(st.floats(0, 8)), "duration": 1.0})
    return from_dict({
        "duration": draw(st.floats(2, 12)), "seed": draw(st.integers(0, 2**32)),
        "arrivals": {"rate": draw(st.floats(1, 20)),
                     "events": [{"routing_key": k, "share": s} for k, s in zip(keys, shares,
                                                                                strict=True)]},
        "broker": broker, "services": services, "faults": faults,
    })


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fanout_scenarios(), st.sampled_from(["sync", "async"]))
def test_random_service_sets_keep_every_invariant(scenario, mode):
    result = run(scenario, mode)
    check_all(result)
    check_services(result)
