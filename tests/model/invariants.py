"""Invariants every run must satisfy, computed from the records (used by several test modules).

Each check recomputes a fact a second, independent way: from the request, task and attempt rows
rather than from the summary's own sums, so that an engine that forgets a task, settles it
wrongly or skips a retry fails here. To add a request outcome or a task state, add its name to
one of the sets below (final or unfinished); a state the records use but these sets do not know
makes every check fail until it is classified.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.records import ATTEMPT_OUTCOMES, REQUEST_OUTCOMES, TASK_STATES
from sim.runner import Result
from tests.model.service_invariants import check_services, max_tries

FINAL_OUTCOMES = {"completed", "failed", "timed_out", "shed"}  # a request's user is done
UNFINISHED_OUTCOMES = {"in_flight"}  # still waiting when the run stopped
FINAL_STATES = {"succeeded", "failed", "dead_lettered", "lost", "expired",  # settled
                "dropped"}
UNFINISHED_STATES = {"in_queue", "in_progress"}
BOUND_WARNINGS = ("drain limit", "overloaded: stopped", "work limit", "stopped arrivals")
EPS = 1e-9
NOT_RETRIED = {"budget", "TimeLimitExceeded", "SoftTimeLimitExceeded"}  # given up at once


def stopped_at_a_bound(result: Result) -> bool:
    return any(w.startswith(BOUND_WARNINGS[:3]) for w in result.warnings)


def check_classified(result: Result) -> None:
    """Every outcome and state the engine knows is either final or unfinished, exactly once."""
    assert FINAL_OUTCOMES.isdisjoint(UNFINISHED_OUTCOMES)
    assert set(REQUEST_OUTCOMES) == FINAL_OUTCOMES | UNFINISHED_OUTCOMES
    assert FINAL_STATES.isdisjoint(UNFINISHED_STATES)
    assert set(TASK_STATES) == FINAL_STATES | UNFINISHED_STATES
    assert set(result.requests["outcome"].astype(str)) <= set(REQUEST_OUTCOMES)
    assert set(result.tasks["state"].astype(str)) <= set(TASK_STATES)
    assert set(result.attempts["outcome"].astype(str)) <= set(ATTEMPT_OUTCOMES)


def check_requests(result: Result) -> None:
    """Each request row ends in one final outcome that its times agree with, or is in flight at
    the end; the summary's counts are the records' counts."""
    req, s = result.requests, result.summary
    timeout = result.scenario.web.timeout
    limit = np.inf if timeout is None else timeout
    end_time = s["run"]["end_time_s"]
    outcome, took = req["outcome"].astype(str), req["end"] - req["arrival"]
    answered = outcome.isin(["completed", "failed"])
    assert req.loc[answered, "end"].notna().all()
    assert (took[answered] <= limit + EPS).all()
    late = outcome == "timed_out"
    gave_up_before_end = req["arrival"] + limit <= end_time + EPS
    assert (req.loc[late, "end"].isna() & gave_up_before_end[late]
            | (took[late] > limit - EPS)).all()
    shed = outcome == "shed"  # refused at once: no thread, answered on arrival
    assert req.loc[shed, "start"].isna().all() and (took[shed] == 0).all()
    waiting = outcome.isin(list(UNFINISHED_OUTCOMES))
    assert req.loc[waiting, "end"].isna().all()
    assert not gave_up_before_end[waiting].any()  # a user past the timeout has given up
    counts = outcome.value_counts()
    assert s["requests"]["arrived"] == len(req)
    for name in REQUEST_OUTCOMES:
        assert s["requests"][name] == int(counts.get(name, 0)), name
    after = req[req["arrival"] >= result.scenario.warmup]
    share = s["requests"]["answered_share"]
    if len(after):
        assert share == pytest.approx((after["outcome"] == "completed").sum() / len(after))
    assert s["requests"]["retried"] == int(req["client_retry"].sum())


def check_tasks(result: Result) -> None:
    """Each task row ends in one final state (with a finish time) or is unfinished (without);
    a task counted as succeeded has a successful attempt that ended when it finished; the
    summary's counts are the records' counts."""
    tasks, att, s = result.tasks, result.attempts, result.summary
    state = tasks["state"].astype(str)
    final = state.isin(list(FINAL_STATES))
    assert tasks.loc[final, "finished"].notna().all()
    assert tasks.loc[~final, "finished"].isna().all()
    assert (tasks.loc[final, "finished"] >= tasks.loc[final, "published"] - EPS).all()
    wins = att[att["outcome"] == "success"].groupby("task_id")["end"].min()
    won = wins.reindex(tasks["task_id"]).to_numpy()
    ok = (state == "succeeded").to_numpy()
    assert not np.isnan(won[ok]).any(), "a task counted as succeeded never had a success"
    assert np.allclose(won[ok], tasks["finished"].to_numpy()[ok])
    assert not (~np.isnan(won) & state.isin(["in_queue", "in_progress"]).to_numpy()).any()
    counts = state.value_counts()
    assert s["tasks"]["published"] == len(tasks)
    for name in TASK_STATES:
        assert s["tasks"][name] == int(counts.get(name, 0)), name
    assert s["tasks"]["duplicates"] == int(tasks["duplicates"].sum())


def check_attempts(result: Result) -> None:
    """Attempts per task agree with the task rows and run 1, 2, 3, ... without a gap; no task
    is tried more than max_retries + 1 times per lineage; every failed attempt that had retries
    left was retried (the summary's count of retries, recomputed from the attempts)."""
    tasks, att = result.tasks, result.attempts
    tries = max_tries(result)  # per task: its service's retry policy with services
    max_tries_of = tries[att["task_id"].to_numpy()]
    assert (att["attempt"] >= 1).all() and (att["attempt"] <= max_tries_of).all()
    runs = att.groupby("task_id").size().reindex(tasks["task_id"], fill_value=0).to_numpy()
    assert (runs == tasks["attempts"].to_numpy()).all()
    plain = tasks.loc[tasks["redeliveries"] == 0, "task_id"]  # one lineage, no copies
    mine = att[att["task_id"].isin(plain)]
    numbers = mine.groupby("task_id")["attempt"].agg(["min", "max", "size", "nunique"])
    assert (numbers["min"] == 1).all() and (numbers["max"] == numbers["size"]).all()
    assert (numbers["nunique"] == numbers["size"]).all()
    failed = mine["outcome"].isin(["failure", "short_circuited"]) & (
        mine["attempt"] < tries[mine["task_id"].to_numpy()])
    # a retry not made: denied by the budget, or an error that is not retried (time limits)
    denied = ((tasks["redeliveries"] == 0) & tasks["reason"].astype(str).isin(NOT_RETRIED)
              & (tasks["attempts"] < tries[tasks["task_id"].to_numpy()]))
    retried = int(failed.sum()) - int(denied.sum())
    if (tasks["redeliveries"] == 0).all():  # a retry is decided right after a failed attempt
        assert result.summary["tasks"]["retries"] == retried
    else:  # copies retry on their own: at least the plain tasks' retries
        assert result.summary["tasks"]["retries"] >= retried


def check_ordering(result: Result) -> None:
    """Nothing happens before its cause: no request starts before it arrived, no task finishes
    before it was published, no attempt starts before it was enqueued or its task published."""
    r, tasks, att = result.requests, result.tasks, result.attempts
    started = r.dropna(subset=["start"])
    assert (started["start"] >= started["arrival"]).all()
    ended = r.dropna(subset=["end", "start"])
    assert (ended["end"] >= ended["start"]).all()
    done = att.dropna(subset=["end"])
    assert (done["end"] >= done["start"]).all()
    assert (att["start"] >= att["enqueued"]).all()
    published = tasks.set_index("task_id")["published"].reindex(att["task_id"]).to_numpy()
    assert (att["enqueued"].to_numpy() >= published - EPS).all()
    first = tasks.dropna(subset=["first_start"])
    assert (first["first_start"] >= first["published"]).all()
    task_arrival = r["arrival"].to_numpy()[tasks["request_id"].to_numpy()]
    assert (tasks["published"].to_numpy() >= task_arrival - EPS).all()
    assert np.all(np.diff(r["arrival"].to_numpy()) >= 0)


def check_drained(result: Result) -> None:
    """A run that ended without a bound has nothing left anywhere, and ended with its last
    event; a run that hit the drain limit really had something left."""
    req, tasks, att = result.requests, result.tasks, result.attempts
    s = result.summary
    unfinished = (req["end"].isna().any()  # no response yet (even if its user gave up)
                  or tasks["state"].isin(list(UNFINISHED_STATES)).any()
                  or (att["outcome"] == "running").any())
    if any(w.startswith("drain limit") for w in result.warnings):
        assert unfinished, "the run hit its drain limit with nothing left in the records"
        return
    if stopped_at_a_bound(result):
        return
    assert not unfinished
    last = max([0.0, *(float(x.max()) for x in (req["end"], req["arrival"], tasks["finished"],
                                                att["end"]) if x.notna().any())])
    scenario = result.scenario
    if scenario.web.timeout is not None and scenario.arrivals.client_retries and len(req):
        last = max(last, float((req["arrival"] + scenario.web.timeout).max()))
    end = s["run"]["end_time_s"]
    if any(w.startswith("stopped arrivals") for w in result.warnings):
        assert end >= last - EPS  # arrivals were stopped by a refused arrival, not recorded
    else:
        assert end == pytest.approx(last, rel=1e-9, abs=1e-9), (end, last)


def check_user_wait(result: Result) -> None:
    """Every user who arrived after the warm-up is in ``user_wait_s``: its maximum is at least
    the longest answered response and, when anyone gave up at the timeout, at least that."""
    s, req = result.summary, result.requests
    wait, rt = s["user_wait_s"], s["response_time_s"]
    after = req[req["arrival"] >= result.scenario.warmup]
    if not len(after):
        return
    assert wait["max"] is not None
    if rt["max"] is not None:
        assert wait["max"] >= rt["max"] - EPS
        assert wait["p50"] >= 0
    if (after["outcome"] == "timed_out").any():
        assert wait["max"] >= result.scenario.web.timeout - EPS


def check_conservation(result: Result) -> None:
    """Every request and every task ends in exactly one outcome or state (from the records)."""
    check_classified(result)
    check_requests(result)
    check_tasks(result)


def check_all(result: Result) -> None:
    check_classified(result)
    check_drained(result)
    check_requests(result)
    check_tasks(result)
    check_attempts(result)
    check_ordering(result)
    check_user_wait(result)
    check_services(result)
    utilization = result.summary["utilization"]
    for value in [utilization["web"], utilization["workers"], *utilization["per_worker"]]:
        assert 0.0 <= value <= 1.0 + 1e-9
