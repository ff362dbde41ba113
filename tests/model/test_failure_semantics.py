"""Failure semantics as Celery, kombu, RabbitMQ and Kafka have them, shown in numbers.

Each test runs a small scenario and checks the records against what the real system does:
which tasks are lost, failed, requeued, restored or dropped, and when.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import apply_overrides, run
from sim.scenario import from_dict
from tests.model.invariants import check_all

# 2 workers × 2 slots, prefetch 2 per slot, tasks of 4 s; a burst of arrivals just before the
# crash (t=30) fills both slots of worker 0 and its prefetch window
CRASH = {"duration": 60, "seed": 3,
         "arrivals": {"rate": 0.3, "profile": [{"at": 26, "rate": 3}, {"at": 30, "rate": 0.3}]},
         "task": {"service": {"dist": "constant", "value": 4.0}},
         "workers": {"count": 2, "concurrency": 2, "prefetch_multiplier": 2},
         "retry": {"max_retries": 0},
         "faults": [{"kind": "worker_crash", "at": 30, "count": 1}]}


def crash_run(**changes):
    result = run(apply_overrides(from_dict(CRASH), changes), "async")
    check_all(result)
    return result


def running_at(result, t, worker=0):
    a = result.attempts
    return a[(a["worker"] == worker) & (a["start"] <= t) & (a["end"] >= t)]


# --- worker crash: scope worker -------------------------------------------------------------


def test_a_lost_worker_loses_its_early_acked_tasks_and_returns_the_prefetched_ones():
    result = crash_run()
    killed = result.attempts[result.attempts["outcome"] == "killed"]
    assert len(killed) == 2  # both slots of worker 0 were busy
    lost = result.tasks[result.tasks["state"] == "lost"]
    assert sorted(lost["task_id"]) == sorted(killed["task_id"])
    assert set(lost["reason"]) == {"worker_lost"}
    # the prefetched ones were not acknowledged: redelivered, then run by worker 1
    back = result.tasks[(result.tasks["redeliveries"] > 0) & (result.tasks["state"] != "lost")]
    assert len(back) >= 1
    assert (back["state"] == "succeeded").all()


def test_a_lost_worker_on_rabbitmq_returns_acks_late_tasks_at_once():
    result = crash_run(**{"workers.acks_late": True})
    tasks = result.summary["tasks"]
    killed = result.attempts[result.attempts["outcome"] == "killed"]
    assert len(killed) == 2 and tasks["lost"] == 0 and tasks["failed"] == 0
    # requeued at the head as soon as the connection closed: they run before any task
    # published after the crash (worker 1 first finishes what it runs and holds)
    again = result.attempts[result.attempts["task_id"].isin(killed["task_id"])
                            & (result.attempts["start"] >= 30)]
    assert len(again) == 2
    newer = result.tasks[result.tasks["published"] > 30]
    assert again["start"].max() <= newer["first_start"].min()
    assert (result.tasks.loc[result.tasks["task_id"].isin(killed["task_id"]),
                             "redeliveries"] == 1).all()
    assert tasks["succeeded"] == tasks["published"]


def test_a_lost_worker_on_redis_keeps_its_tasks_invisible_until_the_visibility_timeout():
    redis = {"broker": {"kind": "redis", "visibility_timeout": 60, "restore_interval": 10},
             "workers.acks_late": True}
    result = crash_run(**redis)
    tasks = result.summary["tasks"]
    assert tasks["lost"] == 0 and tasks["succeeded"] == tasks["published"]
    killed = result.attempts[result.attempts["outcome"] == "killed"]
    assert len(killed) == 2
    for row in killed.itertuples():
        later = result.attempts[(result.attempts["task_id"] == row.task_id)
                                & (result.attempts["start"] > row.start)]
        delivered = row.start  # acks_late, prefetch window free: delivered when it started
        # restored by the first sweep (every 10 s) after delivery + 60 s, not at the crash
        assert delivered + 60 <= later["start"].min() <= delivered + 60 + 10 + 1e-9
    # the run cannot end before they are back; on RabbitMQ it ends much sooner
    assert result.summary["run"]["end_time_s"] > killed["start"].min() + 60
    rabbit = crash_run(**{"workers.acks_late": True})
    assert rabbit.summary["run"]["end_time_s"] < killed["start"].min() + 60 - 10


def test_redis_restore_sweeps_default_to_about_every_100_seconds():
    redis = {"broker": {"kind": "redis", "visibility_timeout": 60}, "workers.acks_late": True,
             "duration": 40}
    result = crash_run(**redis)
    killed = result.attempts[result.attempts["outcome"] == "killed"]
    starts = result.attempts[result.attempts["task_id"].isin(killed["task_id"])
                             & (result.attempts["start"] > 30)]["start"]
    # delivered around t=26-30; past the timeout at t≈90; the sweeps (t=0, 100, 200, ...)
    # put them back at t=100
    assert len(starts) == 2 and (starts >= 100 - 1e-9).all() and (starts < 101).all()


# --- worker crash: scope child (one pool process) -------------------------------------------


@pytest.mark.parametrize(("acks_late", "reject", "failed", "requeued"), [
    (False, False, 1, 0),  # early ack: recorded as failed (WorkerLostError), not lost
    (False, True, 1, 0),  # reject_on_worker_lost needs acks_late
    (True, False, 1, 0),  # acks_late alone: acknowledged and failed
    (True, True, 0, 1),  # both: requeued and run again
])
def test_a_killed_pool_process_follows_acks_late_and_reject_on_worker_lost(
        acks_late, reject, failed, requeued):
    result = crash_run(**{"workers.acks_late": acks_late,
                          "workers.task_reject_on_worker_lost": reject,
                          "faults": [{"kind": "worker_crash", "at": 30, "scope": "child"}]})
    tasks = result.summary["tasks"]
    killed = result.attempts[result.attempts["outcome"] == "killed"]
    assert len(killed) == 1  # one process, one task
    assert tasks["lost"] == 0 and tasks["failed"] == failed
    if failed:
        assert set(result.tasks.loc[result.tasks["state"] == "failed", "reason"]) == \
            {"WorkerLostError"}
    assert tasks["redeliveries"] == requeued
    # the worker lives on: it keeps running tasks after the crash, with both slots
    after = result.attempts[(result.attempts["worker"] == 0) & (result.attempts["start"] > 30)]
    assert len(after) > 5
    assert result.summary["faults"][0]["label"] == "1 pool process killed"


# --- countdown retries (ETA) ----------------------------------------------------------------

ETA = {"duration": 120, "seed": 4, "arrivals": {"rate": 0.5},
       "task": {"service": {"dist": "constant", "value": 1.0}, "failure_rate": 0.3},
       "workers": {"count": 2, "concurrency": 2},
       "retry": {"max_retries": 1, "backoff": "fixed", "base": 60.0, "cap": 60.0,
                 "jitter": "none"}}


def eta_run(**changes):
    result = run(apply_overrides(from_dict(ETA), changes), "async")
    check_all(result)
    return result


def test_a_countdown_longer_than_the_visibility_timeout_runs_the_task_twice_on_redis():
    redis = {"broker": {"kind": "redis", "visibility_timeout": 30, "restore_interval": 10}}
    twice = eta_run(**redis)
    retried = twice.summary["tasks"]["retries"]
    assert retried > 5
    a = twice.attempts
    second = a[a["attempt"] == 2].groupby("task_id").size()
    # every retried task's second attempt ran at least twice: the held message was restored
    # after 30 s and delivered again, and both copies ran when the countdown ended
    assert len(second) == retried and (second >= 2).all()
    assert twice.summary["tasks"]["duplicates"] > 0.5 * retried
    # both copies start at the ETA: 60 s after the failure
    starts = a[a["attempt"] == 2].groupby("task_id")["start"].agg(["min", "max"])
    assert ((starts["max"] - starts["min"]) < 1.0 + 1e-9).all()
    # a countdown shorter than the timeout, or RabbitMQ: once
    short = eta_run(**redis, **{"retry.base": 20.0})
    rabbit = eta_run()
    for once in (short, rabbit):
        assert once.summary["tasks"]["duplicates"] == 0
        assert (once.attempts.groupby(["task_id", "attempt"]).size() == 1).all()


def test_a_countdown_retry_waits_on_a_worker_not_in_the_queue():
    result = eta_run()
    a = result.attempts.sort_values(["task_id", "attempt"])
    first = a[a["attempt"] == 1].set_index("task_id")
    second = a[a["attempt"] == 2].set_index("task_id")
    gap = second["start"] - first.loc[second.index, "end"]
    assert len(gap) > 5 and (gap >= 60 - 1e-9).all() and (gap < 61).all()
    # held retries are counted as waiting, not as queued work
    assert result.timeseries["retry_waiting_max"].max() >= 1
    assert result.summary["time_avg"]["retry_waiting"] == pytest.approx(
        len(gap) * 60 / result.summary["run"]["end_time_s"], rel=0.02)


# --- Kafka: a dead consumer is noticed after the session timeout ----------------------------

KAFKA = {"duration": 200, "seed": 2, "arrivals": {"rate": 4},
         "task": {"service": {"dist": "exponential", "mean": 0.2}},
         "broker": {"kind": "kafka", "partitions": 4, "keys": 1000, "rebalance_pause": 3.0},
         "workers": {"count": 4, "concurrency": 1}, "retry": {"max_retries": 0},
         "faults": [{"kind": "worker_crash", "at": 60, "count": 1}]}


def test_a_crashed_kafka_consumer_stalls_its_partition_until_the_session_times_out():
    result = run(from_dict(KAFKA), "async")
    check_all(result)
    a = result.attempts.merge(result.tasks[["task_id", "partition"]], on="task_id")
    dead = 0  # consumer 0 owned partition 0
    stalled = a[(a["partition"] == dead) & (a["start"] > 60) & (a["start"] < 105)]
    assert stalled.empty
    others = a[(a["partition"] != dead) & (a["start"] > 60) & (a["start"] < 105)]
    assert len(others) > 0.8 * 3 * 45  # the others keep consuming (about 1 msg/s each)
    # after 45 s the group rebalances: everyone pauses 3 s, then partition 0 is read again
    pause = a[(a["start"] > 105 + 1e-9) & (a["start"] < 108 - 1e-9)]
    assert pause.empty
    assert ((a["partition"] == dead) & (a["start"] >= 108)).sum() > 30
    lag = result.timeseries.set_index("time")[f"lag_p{dead}_max"]
    assert lag.loc[95:105].max() > 30  # about 1 message per second piled up for 45 s
    quick = run(apply_overrides(from_dict(KAFKA), {"broker.session_timeout": 10}), "async")
    assert quick.timeseries.set_index("time")[f"lag_p{dead}_max"].max() < lag.max() / 2


# --- dropped or dead-lettered ---------------------------------------------------------------

FULL = {"duration": 120, "seed": 6, "arrivals": {"rate": 10},
        "task": {"service": {"dist": "exponential", "mean": 1.0}, "failure_rate": 0.2},
        "workers": {"count": 1, "concurrency": 4},
        "broker": {"kind": "rabbitmq", "max_length": 20, "message_ttl": 30},
        "retry": {"max_retries": 1, "backoff": "none"}}


def test_without_a_dead_letter_exchange_discarded_messages_are_dropped():
    plain = run(from_dict(FULL), "async")
    dlx = run(apply_overrides(from_dict(FULL), {"broker.dead_letter": True}), "async")
    check_all(plain)
    check_all(dlx)
    dropped, dead = plain.summary["tasks"], dlx.summary["tasks"]
    assert dropped["dead_lettered"] == 0 and dropped["dropped_by_reason"]["maxlen"] > 100
    assert dead["dropped"] == 0
    # the same traffic, the same messages thrown away: only the name of their fate differs
    assert dead["dead_lettered_by_reason"]["maxlen"] == dropped["dropped_by_reason"]["maxlen"]
    # a task out of retries fails, or is rejected into the dead-letter exchange
    assert dropped["failed"] > 0
    assert dead["dead_lettered_by_reason"]["rejected"] == dropped["failed"]
    assert set(plain.tasks.loc[plain.tasks["state"] == "failed", "reason"]) == {"max_retries"}


# --- broker outage --------------------------------------------------------------------------

OUTAGE = {"duration": 120, "seed": 9, "arrivals": {"rate": 2},
          "web": {"workers": 50},
          "task": {"service": {"dist": "constant", "value": 5.0}},
          "workers": {"count": 2, "concurrency": 4, "acks_late": True},
          "faults": [{"kind": "broker_outage", "at": 60, "duration": 15}]}


def test_a_broker_outage_runs_acks_late_tasks_in_progress_twice():
    late = run(from_dict(OUTAGE), "async")
    check_all(late)
    a = late.attempts
    running = a[(a["start"] < 60) & (a["end"] > 60)]
    assert len(running) >= 4
    tasks = late.summary["tasks"]
    assert tasks["duplicates"] == len(running)  # each ran again after the outage
    again = a[a["task_id"].isin(running["task_id"]) & (a["start"] >= 60)]
    assert (again["start"] >= 75 - 1e-9).all()
    early = run(apply_overrides(from_dict(OUTAGE), {"workers.acks_late": False}), "async")
    check_all(early)
    assert early.summary["tasks"]["duplicates"] == 0


def test_a_publish_during_an_outage_is_retried_for_the_window_then_fails():
    result = run(from_dict(OUTAGE), "async")
    r = result.requests
    failed = r[r["outcome"] == "failed"]
    assert len(failed) > 15
    # each failed request held its web thread for the whole window (1 s) first, after the
    # handler's own work (about 20 ms)
    held = failed["end"] - failed["start"]
    assert (held >= 1.0 - 1e-9).all() and (held < 1.2).all()
    assert failed["start"].between(60, 75).all()
    # those that arrived in the last second of the outage got through when it ended
    late = r[(r["arrival"] > 74.05) & (r["arrival"] < 75)]
    assert (late["outcome"] == "completed").all() and (late["end"] >= 75 - 1e-9).all()
    none = run(apply_overrides(from_dict(OUTAGE), {"broker.publish_retry_window": 0}),
               "async")
    fail_fast = none.requests[none.requests["outcome"] == "failed"]
    assert ((fail_fast["end"] - fail_fast["start"]) < 0.2).all()
    assert len(fail_fast) > len(failed)  # no second chance at the end of the outage


# --- Celery's retry delays ------------------------------------------------------------------


def test_celery_retry_backoff_false_waits_the_default_180_seconds():
    data = {**ETA, "retry": {"retry_backoff": False, "max_retries": 1}, "duration": 60}
    result = run(from_dict(data), "async")
    check_all(result)
    a = result.attempts
    first = a[a["attempt"] == 1].set_index("task_id")["end"]
    second = a[a["attempt"] == 2].set_index("task_id")["start"]
    gaps = (second - first.loc[second.index]).to_numpy()
    assert len(gaps) > 3 and np.allclose(gaps, 180.0, atol=1e-6)


# --- conservation and determinism on every new path -----------------------------------------

EVERYTHING = {
    "duration": 150, "seed": 12, "arrivals": {"rate": 3},
    "task": {"service": {"dist": "exponential", "mean": 2.0}, "failure_rate": 0.3},
    "broker": {"kind": "redis", "visibility_timeout": 20, "restore_interval": 7},
    "workers": {"count": 3, "concurrency": 2, "prefetch_multiplier": 2, "acks_late": True,
                "task_reject_on_worker_lost": True, "soft_time_limit": 6, "time_limit": 8},
    "retry": {"max_retries": 2, "backoff": "exponential", "base": 10, "cap": 40,
              "jitter": "full", "jitter_whole_seconds": True},
    "faults": [{"kind": "worker_crash", "at": 30, "count": 1, "restart_after": 25},
               {"kind": "worker_crash", "at": 50, "count": 2, "scope": "child"},
               {"kind": "broker_outage", "at": 70, "duration": 10}],
}


@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_every_new_path_keeps_every_task_and_repeats_itself(kind):
    data = {**EVERYTHING,
            "broker": EVERYTHING["broker"] if kind == "redis" else
            {"kind": "rabbitmq", "max_length": 15, "message_ttl": 40, "delivery_limit": 2}}
    scenario = from_dict(data)
    a, b = run(scenario, "async"), run(scenario, "async")
    check_all(a)
    for name in ("requests", "tasks", "attempts", "timeseries"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    tasks = a.summary["tasks"]
    assert tasks["redeliveries"] > 0 and tasks["retries"] > 0
