"""Invariants every run must satisfy (used by several test modules)."""

from __future__ import annotations

import numpy as np

from sim.runner import Result


def check_conservation(result: Result) -> None:
    s = result.summary
    req, tasks = s["requests"], s["tasks"]
    assert req["arrived"] == (req["completed"] + req["failed"] + req["timed_out"] + req["shed"]
                              + req["in_flight"])
    ends = ("succeeded", "failed", "dead_lettered", "lost", "expired", "in_queue", "in_progress")
    assert tasks["published"] == sum(tasks[k] for k in ends)
    assert len(result.requests) == req["arrived"]
    assert len(result.tasks) == tasks["published"]


def check_attempts(result: Result) -> None:
    """No task is tried more than max_retries + 1 times; extra runs come from redeliveries
    (each redelivery may start a lineage of its own: a twin that retries independently)."""
    max_tries = result.scenario.retry.max_retries + 1
    assert (result.attempts["attempt"] <= max_tries).all()
    tasks = result.tasks
    assert (tasks["attempts"] <= max_tries * (1 + tasks["redeliveries"])).all()
    assert (tasks.loc[tasks["redeliveries"] == 0, "attempts"] <= max_tries).all()
    runs = result.attempts.groupby("task_id").size().reindex(tasks["task_id"], fill_value=0)
    assert (runs.to_numpy() == tasks["attempts"].to_numpy()).all()


def check_ordering(result: Result) -> None:
    r = result.requests
    started = r.dropna(subset=["start"])
    assert (started["start"] >= started["arrival"]).all()
    ended = r.dropna(subset=["end"])
    never_started = ended["start"].isna()
    assert (ended.loc[never_started, "outcome"] == "shed").all()  # only a shed one has no thread
    assert (ended.loc[~never_started, "end"] >= ended.loc[~never_started, "start"]).all()
    a = result.attempts.dropna(subset=["end"])
    assert (a["end"] >= a["start"]).all()
    assert (result.attempts["start"] >= result.attempts["enqueued"]).all()
    t = result.tasks.dropna(subset=["first_start"])
    assert (t["first_start"] >= t["published"]).all()
    arrival = r["arrival"].to_numpy()
    assert np.all(np.diff(arrival) >= 0)


def check_drained(result: Result) -> None:
    """A run that ended without a warning about a bound has nothing left anywhere."""
    s = result.summary
    if any(w.startswith(("drain limit", "overloaded: stopped")) for w in s["warnings"]):
        return
    assert s["requests"]["in_flight"] == 0
    assert s["tasks"]["in_queue"] == 0 and s["tasks"]["in_progress"] == 0
    assert s["run"]["end_time_s"] >= result.requests["arrival"].to_numpy().max(initial=0)
    assert (result.attempts["outcome"] != "running").all()


def check_all(result: Result) -> None:
    check_drained(result)
    check_conservation(result)
    check_attempts(result)
    check_ordering(result)
    utilization = result.summary["utilization"]
    for value in [utilization["web"], utilization["workers"], *utilization["per_worker"]]:
        assert 0.0 <= value <= 1.0 + 1e-9
