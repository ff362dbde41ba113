"""Invariants of a fan-out run (a scenario with ``services``), computed from the records.

``check_services(result)`` is a no-op for a run without services, so it can be called on every
run next to the run-wide invariants.
"""

from __future__ import annotations

import numpy as np

from sim.model.routing import Exchange, binding_keys
from sim.records import TASK_STATES
from sim.runner import Result

ENDS = TASK_STATES  # every copy ends in exactly one of them
SUMMED = ("published", *ENDS, "duplicates", "retries", "redeliveries", "rejected_publishes")


def max_tries(result: Result) -> np.ndarray:
    """Most attempts each task may make in one lineage: its service's (or the scenario's)
    ``retry.max_retries`` + 1, one entry per task row."""
    sc = result.scenario
    if not sc.services:
        return np.full(len(result.tasks), sc.retry.max_retries + 1)
    by_name = {s.name: s.retry.max_retries + 1 for s in sc.services}
    return result.tasks["service"].astype(str).map(by_name).to_numpy(dtype=int)


def expected_services(result: Result) -> dict[str, set[str]]:
    """For each routing key, the services that should get a copy."""
    sc = result.scenario
    names = [s.name for s in sc.services]
    keys = [e.routing_key for e in sc.arrivals.events] or [""]
    if sc.broker.kind == "kafka":
        return {key: set(names) for key in keys}
    exchange = Exchange(sc.broker.exchange.type, [binding_keys(s.routing_key)
                                                  for s in sc.services])
    return {key: {names[i] for i in exchange.route(key)} for key in keys}


def check_service_conservation(result: Result) -> None:
    """Every copy ends in exactly one state, per service; the run-wide figures add up."""
    s, tasks = result.summary, result.tasks
    names = [svc.name for svc in result.scenario.services]
    assert set(s["services"]) == set(names)
    assert tasks["service"].notna().all()
    by_service = tasks.groupby("service", observed=False)["state"].value_counts()
    for name in names:
        own = s["services"][name]["tasks"]
        assert own["published"] == int((tasks["service"] == name).sum())
        assert own["published"] == sum(own[k] for k in ENDS)
        for state in ENDS:
            assert own[state] == int(by_service.get((name, state), 0)), (name, state)
    for key in SUMMED:
        assert s["tasks"][key] == sum(s["services"][n]["tasks"][key] for n in names), key
    att = result.attempts
    if len(att):
        own_service = tasks["service"].to_numpy()[att["task_id"].to_numpy()]
        assert (np.asarray(att["service"]) == np.asarray(own_service)).all()


def check_fanout(result: Result) -> None:
    """Each request has at most one copy per service, only for services its event reaches; an
    answered async request has exactly one per reached service; a sync request called a prefix
    of them, in order, and stopped only at a failure."""
    want = expected_services(result)
    tasks, requests = result.tasks, result.requests
    pairs = tasks.groupby(["request_id", "service"], observed=True).size()
    assert (pairs == 1).all()
    got = tasks.groupby("request_id")["service"].agg(lambda x: set(map(str, x)))
    order = [svc.name for svc in result.scenario.services]
    for rid, event, outcome in zip(requests["request_id"], requests["event"].astype(str),
                                   requests["outcome"].astype(str), strict=True):
        have = got.get(rid, set())
        assert have <= want[event], (rid, event, have)
        if result.mode == "async" and outcome in ("completed", "failed"):
            assert have == want[event], (rid, event, have)
        if result.mode == "sync":
            reached = [n for n in order if n in want[event]]
            assert have == set(reached[: len(have)]), (rid, have, reached)
    if result.mode == "sync":
        failed = tasks[tasks["state"] == "failed"]
        last = tasks.groupby("request_id")["task_id"].max()
        assert (failed["task_id"].to_numpy() == last[failed["request_id"]].to_numpy()).all()


def check_services(result: Result) -> None:
    if not result.scenario.services:
        return
    check_service_conservation(result)
    check_fanout(result)
