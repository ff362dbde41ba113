"""Broker and worker semantics show up in the numbers (RabbitMQ-like and Redis-backed Celery).

Each test compares two configurations on the same seed, so the traffic is identical and only
the setting under test differs.
"""

from __future__ import annotations

from sim import apply_overrides, load_scenario, run
from sim.scenario import from_dict
from tests.model.invariants import check_all


def summary(scenario, mode="async", seed=None):
    result = run(scenario, mode, seed)
    check_all(result)
    return result.summary


def test_early_ack_loses_tasks_on_a_crash_late_ack_redelivers_them():
    early = load_scenario("worker_crash_ack_modes")
    late = apply_overrides(early, {"workers.acks_late": True})
    lost_early = summary(early)["tasks"]
    lost_late = summary(late)["tasks"]
    assert lost_early["lost"] > 0
    assert lost_late["lost"] == 0
    assert lost_late["redeliveries"] > 0
    assert lost_late["succeeded"] == lost_late["published"]


def test_late_ack_without_reject_on_worker_lost_fails_the_killed_task():
    """A pool process dies (scope child): Celery acknowledges and fails the task
    (WorkerLostError) unless task_reject_on_worker_lost requeues it."""
    child = {"workers.acks_late": True, "workers.task_reject_on_worker_lost": False,
             "faults": [{"kind": "worker_crash", "at": 60, "count": 2, "scope": "child"}]}
    scenario = apply_overrides(load_scenario("worker_crash_ack_modes"), child)
    result = run(scenario, "async")
    check_all(result)
    tasks = result.summary["tasks"]
    assert tasks["lost"] == 0 and tasks["failed"] == 2  # one running task per killed child
    assert set(result.tasks.loc[result.tasks["state"] == "failed", "reason"]) == \
        {"WorkerLostError"}


def test_big_prefetch_makes_tasks_wait_behind_busy_workers():
    base = {"duration": 600, "arrivals": {"rate": 1.4},
            "task": {"service": {"dist": "lognormal", "mean": 2.0, "cv": 2.0}},
            "workers": {"count": 4, "concurrency": 1, "prefetch_multiplier": 1},
            "retry": {"max_retries": 0}}
    one = from_dict(base)
    ten = apply_overrides(one, {"workers.prefetch_multiplier": 10})
    wait_one = summary(one)["queue_wait_s"]["mean"]
    wait_ten = summary(ten)["queue_wait_s"]["mean"]
    assert wait_ten > 1.5 * wait_one


def test_visibility_timeout_shorter_than_the_task_runs_it_twice():
    short = load_scenario("visibility_timeout_duplicates")
    long = apply_overrides(short, {"broker.visibility_timeout": 3600})
    dup_short = summary(short)["tasks"]
    dup_long = summary(long)["tasks"]
    assert dup_short["duplicates"] > 0 and dup_short["redeliveries"] > 0
    assert dup_long["duplicates"] == 0 and dup_long["redeliveries"] == 0


def test_poison_messages_end_in_the_dead_letter_queue_with_the_reason():
    scenario = load_scenario("poison_message_dlq")
    result = run(scenario, "async")
    tasks = result.summary["tasks"]
    assert tasks["dead_lettered"] > 0
    # given up after max retries: rejected (acks_late, no requeue) into the DLX
    assert tasks["dead_lettered_by_reason"] == {"rejected": tasks["dead_lettered"]}
    dead = result.tasks[result.tasks["state"] == "dead_lettered"]
    assert (dead["attempts"] == scenario.retry.max_retries + 1).all()
    # about poison_rate of all tasks (plus the rare ordinary task out of luck)
    share = tasks["dead_lettered"] / tasks["published"]
    assert 0.5 * scenario.task.poison_rate < share < 2 * scenario.task.poison_rate


def test_drop_head_dead_letters_old_messages_reject_publish_fails_requests():
    base = from_dict({"duration": 120, "arrivals": {"rate": 10},
                      "task": {"service": {"dist": "exponential", "mean": 1.0}},
                      "workers": {"count": 1, "concurrency": 4},
                      "broker": {"kind": "rabbitmq", "max_length": 20, "dead_letter": True}})
    drop = summary(base)
    reject = summary(apply_overrides(base, {"broker.overflow": "reject-publish"}))
    reject_dlx = summary(apply_overrides(base, {"broker.overflow": "reject-publish-dlx"}))
    assert drop["tasks"]["dead_lettered_by_reason"].get("maxlen", 0) > 0
    assert drop["tasks"]["dropped"] == 0
    assert drop["requests"]["failed"] == 0
    assert reject["requests"]["failed"] > 0 and reject["tasks"]["dead_lettered"] == 0
    assert reject["tasks"]["rejected_publishes"] == reject["requests"]["failed"]
    assert reject_dlx["requests"]["failed"] > 0
    assert reject_dlx["tasks"]["dead_lettered_by_reason"]["maxlen"] == \
        reject_dlx["requests"]["failed"]


def test_message_ttl_expires_waiting_messages():
    base = from_dict({"duration": 120, "arrivals": {"rate": 10},
                      "task": {"service": {"dist": "exponential", "mean": 1.0}},
                      "workers": {"count": 1, "concurrency": 4, "acks_late": True},
                      "broker": {"kind": "rabbitmq", "dead_letter": True}})
    plain = summary(base)
    expiring = run(apply_overrides(base, {"broker.message_ttl": 5}), "async")
    check_all(expiring)
    ttl = expiring.summary
    assert plain["tasks"]["dead_lettered"] == 0
    assert ttl["tasks"]["dead_lettered_by_reason"]["expired"] > 0
    started = expiring.tasks.dropna(subset=["first_start"])
    assert ((started["first_start"] - started["published"]) <= 5 + 1e-9).all()


def test_delivery_limit_dead_letters_a_message_redelivered_too_often():
    scenario = from_dict({
        "duration": 60, "arrivals": {"rate": 2},
        "task": {"service": {"dist": "constant", "value": 3.0}},
        "workers": {"count": 2, "concurrency": 2, "acks_late": True,
                    "task_reject_on_worker_lost": True},
        "broker": {"kind": "rabbitmq", "delivery_limit": 1, "dead_letter": True},
        "faults": [{"kind": "worker_crash", "at": 10, "count": 2, "restart_after": 1},
                   {"kind": "worker_crash", "at": 12, "count": 2, "restart_after": 1}],
    })
    tasks = summary(scenario)["tasks"]
    assert tasks["dead_lettered_by_reason"].get("delivery_limit", 0) > 0


def test_rate_limit_caps_throughput_per_worker():
    base = from_dict({"duration": 120, "arrivals": {"rate": 8},
                      "task": {"service": {"dist": "exponential", "mean": 0.2}},
                      "workers": {"count": 2, "concurrency": 4}, "retry": {"max_retries": 0},
                      "limits": {"max_drain": 30}})
    free = run(base, "async")
    limited = run(apply_overrides(base, {"workers.rate_limit": "2/s"}), "async")
    def done_in_window(result):
        finished = result.tasks["finished"]
        return int(((finished <= 120) & (result.tasks["state"] == "succeeded")).sum())
    assert done_in_window(free) > 0.9 * 8 * 120
    assert done_in_window(limited) <= 2 * 2 * 120 + 2  # 2 workers × 2 tasks/s
    starts = limited.attempts.sort_values("start").groupby("worker")["start"].diff().dropna()
    assert starts.min() >= 0.5 - 1e-9


def test_time_limit_kills_long_attempts_and_does_not_retry_them():
    """Hard time_limit: the pool kills the process; the task fails with TimeLimitExceeded
    and is not retried (celery/worker/request.py on_timeout)."""
    base = from_dict({"duration": 120, "arrivals": {"rate": 2},
                      "task": {"service": {"dist": "exponential", "mean": 1.0}},
                      "workers": {"count": 2, "concurrency": 4},
                      "retry": {"max_retries": 2, "backoff": "fixed", "base": 0.1}})
    limited = run(apply_overrides(base, {"workers.time_limit": 1.0}), "async")
    check_all(limited)
    a, tasks = limited.attempts, limited.summary["tasks"]
    assert ((a["end"] - a["start"]) <= 1.0 + 1e-9).all()
    assert tasks["retries"] == 0 == summary(base)["tasks"]["retries"]
    # about e^-1 of exponential(1 s) tasks run longer than 1 s
    assert 0.3 < tasks["failed"] / tasks["published"] < 0.45
    assert set(limited.tasks.loc[limited.tasks["state"] == "failed", "reason"]) == \
        {"TimeLimitExceeded"}
    assert (limited.tasks["attempts"] == 1).all()


def test_soft_time_limit_is_retried_unless_the_task_does_not_retry_on_it():
    base = from_dict({"duration": 120, "arrivals": {"rate": 2},
                      "task": {"service": {"dist": "exponential", "mean": 1.0}},
                      "workers": {"count": 2, "concurrency": 4},
                      "retry": {"max_retries": 1, "backoff": "fixed", "base": 0.1}})
    limits = {"workers.soft_time_limit": 0.8, "workers.time_limit": 5.0}
    soft = run(apply_overrides(base, limits), "async")
    check_all(soft)
    a = soft.attempts
    assert ((a["end"] - a["start"]) <= 0.8 + 1e-9).all()
    long_first = (a["attempt"] == 1) & (a["outcome"] == "failure")
    # every attempt cut by the soft limit is retried once (about e^-0.8 = 45 % of them)
    assert soft.summary["tasks"]["retries"] == long_first.sum()
    assert 0.35 < long_first.sum() / soft.summary["tasks"]["published"] < 0.55
    failed = soft.tasks[soft.tasks["state"] == "failed"]
    assert set(failed["reason"]) == {"max_retries"}
    no_retry = run(apply_overrides(base, {**limits, "task.retry_on_soft_time_limit": False}),
                   "async")
    check_all(no_retry)
    tasks = no_retry.summary["tasks"]
    assert tasks["retries"] == 0
    assert tasks["failed"] == long_first.sum()  # same traffic, same attempts cut
    assert set(no_retry.tasks.loc[no_retry.tasks["state"] == "failed", "reason"]) == \
        {"SoftTimeLimitExceeded"}


def test_celery_aliases_mean_what_celery_means():
    scenario = from_dict({"retry": {"retry_backoff": 3, "retry_backoff_max": 120,
                                    "retry_jitter": False, "max_retries": 5}})
    assert scenario.retry.backoff == "exponential"
    assert (scenario.retry.base, scenario.retry.cap, scenario.retry.jitter) == (3, 120, "none")
    default = from_dict({"retry": {"retry_backoff": True}})
    assert (default.retry.base, default.retry.cap, default.retry.jitter) == (1, 600, "full")
    # retry_backoff: false is Celery's default_retry_delay: a fixed 180 s, no jitter
    fixed = from_dict({"retry": {"retry_backoff": False, "retry_jitter": True}}).retry
    assert (fixed.backoff, fixed.base, fixed.jitter) == ("fixed", 180, "none")
    # a numeric factor is rounded as Celery does: int(max(1, x)); the cap is whole seconds
    for given, factor in ((2.7, 2), (0.3, 1), (5, 5)):
        rounded = from_dict({"retry": {"retry_backoff": given,
                                       "retry_backoff_max": 99.9}}).retry
        assert (rounded.base, rounded.cap) == (factor, 99)
