"""Offered load of each tier, from the scenario alone (before running).

Offered load = arrival rate × mean busy time per request / number of servers. At 1 or more the
tier cannot keep up and its queue grows without bound; the run will stop at its bound.
"""

from __future__ import annotations

from sim.dists import mean_of
from sim.model.retry import ceiling
from sim.scenario import Scenario

JITTER_MEAN = {"none": 1.0, "full": 0.5, "equal": 0.75, "decorrelated": 1.0}


def expected_attempts(scenario: Scenario) -> float:
    """Mean attempts per task: 1 + f + f² + ... up to max_retries retries."""
    f = scenario.task.failure_rate
    return sum(f**a for a in range(scenario.retry.max_retries + 1))


def expected_backoff(scenario: Scenario) -> float:
    """Mean total time a task spends waiting between attempts (approximate for jitter)."""
    f, policy = scenario.task.failure_rate, scenario.retry
    factor = JITTER_MEAN[policy.jitter]
    return sum(f ** (n + 1) * ceiling(policy, n) * factor for n in range(policy.max_retries))


def offered_load(scenario: Scenario, mode: str) -> dict[str, float]:
    """Offered load (busy fraction the tier would need) of the web tier and of the workers."""
    rate = scenario.arrivals.rate
    task_work = mean_of(scenario.task.service) * expected_attempts(scenario)
    handler = mean_of(scenario.web.service)
    if mode == "sync":
        web_time = handler + task_work + expected_backoff(scenario)
        return {"web": rate * web_time / scenario.web.workers, "workers": 0.0}
    slots = scenario.workers.count * scenario.workers.concurrency
    web_time = handler + mean_of(scenario.web.publish)
    return {"web": rate * web_time / scenario.web.workers, "workers": rate * task_work / slots}


def load_warnings(scenario: Scenario, mode: str) -> list[str]:
    """One warning per tier whose offered load is 1 or more."""
    names = {"web": "web threads", "workers": "workers"}
    return [
        f"overloaded: the {names[tier]} are offered {load:.2f}× what they can do "
        f"(utilization ≥ 1); their queue grows without bound"
        for tier, load in offered_load(scenario, mode).items()
        if load >= 1
    ]
