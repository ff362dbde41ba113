"""Offered load of each tier, from the scenario alone (before running).

Offered load = arrival rate × mean busy time per request / number of servers. At 1 or more the
tier cannot keep up and its queue grows without bound; the run will stop at its bound.
"""

from __future__ import annotations

from sim.dists import is_zero, mean_of
from sim.model.retry import ceiling
from sim.scenario import Distribution, Scenario

JITTER_MEAN = {"none": 1.0, "full": 0.5, "equal": 0.75, "decorrelated": 1.0}


def expected_attempts(scenario: Scenario) -> float:
    """Mean attempts per task: 1 + f + f² + ... up to max_retries retries; a poison task
    (share ``poison_rate``) uses them all."""
    f, tries = scenario.task.failure_rate, scenario.retry.max_retries + 1
    poison = scenario.task.poison_rate
    return (1 - poison) * sum(f**a for a in range(tries)) + poison * tries


def expected_backoff(scenario: Scenario) -> float:
    """Mean total time a task spends waiting between attempts (approximate for jitter)."""
    f, policy = scenario.task.failure_rate, scenario.retry
    factor = JITTER_MEAN[policy.jitter]
    return sum(f ** (n + 1) * ceiling(policy, n) * factor for n in range(policy.max_retries))


def peak_rate(scenario: Scenario) -> float:
    return max([scenario.arrivals.rate] + [s.rate for s in scenario.arrivals.profile])


def final_rate(scenario: Scenario) -> float:
    profile = scenario.arrivals.profile
    return profile[-1].rate if profile else scenario.arrivals.rate


def offered_load(scenario: Scenario, mode: str, rate: float | None = None) -> dict[str, float]:
    """Offered load (busy fraction the tier would need) of the web tier and of the workers,
    at ``rate`` requests per second (default: the base arrival rate)."""
    rate = scenario.arrivals.rate if rate is None else rate
    task_work = mean_of(scenario.task.service) * expected_attempts(scenario)
    handler = mean_of(scenario.web.service)
    calls = scenario.downstream.capacity
    downstream = {"downstream": rate * task_work / calls} if calls else {}
    if mode == "sync":
        web_time = handler + task_work + expected_backoff(scenario)
        return {"web": rate * web_time / scenario.web.workers, "workers": 0.0, **downstream}
    web_time = handler + mean_of(scenario.web.publish)
    return {"web": rate * web_time / scenario.web.workers,
            "workers": rate * expected_attempts(scenario) / worker_capacity(scenario),
            **downstream}


def slot_parts(scenario: Scenario) -> list[Distribution]:
    """What one attempt holds a worker slot for: the task's service time plus, for Celery
    workers (not Kafka), ``task_overhead``, and with ``acks_late`` and a prefetch multiplier
    of 1 also ``dispatch_delay`` (the next message is fetched only after the
    acknowledgement, so the slot waits for it)."""
    parts = [scenario.task.service]
    workers, broker = scenario.workers, scenario.broker
    if broker.kind != "kafka":
        parts.append(workers.overhead())
        if workers.acks_late and workers.prefetch_multiplier == 1:
            parts.append(broker.dispatch_delay)
    return [p for p in parts if not is_zero(p)]


def worker_capacity(scenario: Scenario) -> float:
    """Attempts per second the consumers can run: slots / mean slot time, capped by Kafka's
    one-message-per-partition rule and by Celery's per-worker rate limit."""
    workers, broker = scenario.workers, scenario.broker
    slots = workers.count * workers.concurrency
    if broker.kind == "kafka":
        slots = min(slots, broker.partitions + (1 if broker.retry_topic else 0))
    mean = sum(mean_of(part) for part in slot_parts(scenario))
    capacity = slots / mean if mean > 0 else float("inf")
    per_worker = workers.rate_per_second()
    if per_worker is not None and broker.kind != "kafka":  # a Celery setting
        capacity = min(capacity, per_worker * workers.count)
    return capacity


def steady_load(scenario: Scenario, mode: str) -> dict[str, float]:
    """Offered load of each tier at the rate the run settles to (base or final profile rate,
    whichever is higher): at 1 or more that tier's queue grows for good."""
    return offered_load(scenario, mode, max(scenario.arrivals.rate, final_rate(scenario)))


def load_warnings(scenario: Scenario, mode: str) -> list[str]:
    """One warning per tier whose offered load reaches 1, for good or at the peak of a profile."""
    names = {"web": "web threads", "workers": "workers",
             "downstream": "downstream service's connections"}
    load = offered_load
    if scenario.services:
        from sim.service_load import fanout_load, tier_names

        load = fanout_load  # type: ignore[assignment]
        names = {**names, **tier_names(scenario)}
    steady = load(scenario, mode, max(scenario.arrivals.rate, final_rate(scenario)))
    peak = load(scenario, mode, peak_rate(scenario))
    warnings = []
    for tier, load in steady.items():
        if load >= 1:
            warnings.append(f"overloaded: the {names[tier]} are offered {load:.2f}× what they "
                            f"can do (utilization ≥ 1); their queue grows without bound")
        elif peak[tier] >= 1:
            warnings.append(f"at the peak arrival rate ({peak_rate(scenario):g}/s) the "
                            f"{names[tier]} are offered {peak[tier]:.2f}× what they can do; "
                            f"their queue grows until the rate drops")
    return warnings
