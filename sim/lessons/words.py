"""Plain words for summary keys, so a student reads "p95 user wait", not ``user_wait_s.p95``.

A lesson's metric is an expression over summary keys (``tasks.failed / tasks.published``); its
results and checked claims show it in words: every dotted key is replaced by its name here, or
by a generic reading of its parts (``tasks.in_queue`` -> "tasks in queue").
"""

from __future__ import annotations

import re

STATS = {"mean": "mean", "p50": "median", "p95": "p95", "p99": "p99", "max": "longest"}
TIMES = {  # summary sections that hold times, and what they are in words
    "user_wait_s": "user wait (everyone, until answered or gave up)",
    "response_time_s": "response time (answered requests only)",
    "task_latency_s": "task latency (succeeded tasks only)",
    "queue_wait_s": "queue wait",
}
NAMES = {
    "throughput_rps": "throughput (responses/s)",
    "requests.answered_share": "share of users answered",
    "requests.timed_out": "users who timed out",
    "requests.failed": "requests that failed",
    "requests.completed": "requests answered",
    "requests.arrived": "requests",
    "tasks.published": "tasks",
    "tasks.retries": "retries",
    "tasks.rejected_publishes": "publishes the broker refused",
    "utilization.web": "web thread utilization",
    "utilization.workers": "worker slot utilization",
    "lag.max": "peak Kafka lag",
    "time_avg.queue_depth": "mean queue length",
    "theory.wq": "theory's mean queue wait",
    "theory.queue_wait_s": "theory's mean queue wait",
    "theory.rho": "theory's utilization",
    "theory.lq": "theory's mean queue length",
    "scenario.arrivals.rate": "arrival rate",
    "warnings": "warnings",
    "time_avg.web_queue": "mean number waiting for a web thread",
    "requests.shed": "requests refused at once (shed)",
    "tasks.expired": "tasks skipped after their deadline",
    "retries.denied_by_budget": "retries the budget refused",
    "circuit_breaker.fast_failures": "calls failed fast by the open breaker",
    "circuit_breaker.opened": "times the breaker opened",
    "downstream.calls": "downstream calls",
    "downstream.wasted_calls": "calls made for users who had given up",
    "downstream.peak_call_rate": "peak downstream calls per second",
    "downstream.fault_amplification": "calls per first attempt during the fault",
    "amplification": "calls per first attempt",
    "recovery_s": "recovery time after the fault (s)",
    "goodput.best_share_after_faults": "best goodput after the fault (share of arrivals)",
}
KEY = re.compile(r"\b[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+\b"
                 r"|\b(?:throughput_rps|warnings|recovery_s|amplification)\b")


def key_words(key: str) -> str:
    """Words for one summary key, e.g. ``user_wait_s.p95`` -> 'p95 user wait (...)'."""
    if key in NAMES:
        return NAMES[key]
    section, _, rest = key.partition(".")
    if section in TIMES and rest in STATS:
        return f"{STATS[rest]} {TIMES[section]}"
    if section == "tasks":
        return f"tasks {rest.replace('_', ' ')}".replace("tasks dead lettered",
                                                          "tasks dead-lettered")
    return key.replace("_", " ").replace(".", " ")


def metric_words(metric: str) -> str:
    """A metric expression with every summary key in plain words."""
    return KEY.sub(lambda m: key_words(m[0]), metric).replace("len(warnings)",
                                                              "number of warnings")


__all__ = ["key_words", "metric_words"]
