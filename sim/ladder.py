"""The defence ladder: the same traffic run with no defences, then with one more defence per
rung (back-off + jitter, a retry budget, a circuit breaker, deadlines, load shedding), and what
each rung bounds.

Every rung is a validated copy of the scenario with a few keys changed, run on the same seed
(common random numbers: the same arrivals and task sizes), so the rows differ only by the
defences. A setting the scenario already gives (its back-off base, its breaker thresholds, its
deadline) is kept; a defence it leaves off gets a textbook value (``DEFAULTS``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.resilience import last_fault_end
from sim.runner import Result, run
from sim.scenario import Scenario, apply_overrides

# Textbook values for a defence the scenario leaves off.
DEFAULT_BUDGET_RATIO = 0.2  # retries up to 20 % of first attempts (Finagle's default)
DEFAULT_BASE_S = 0.5  # first back-off ceiling when the scenario has none
DEFAULT_DEADLINE_S = 10.0  # when the scenario has neither a deadline nor a user timeout
SHED_QUEUE_PER_THREAD = 1  # shed once more requests wait than there are web threads

RUNGS = ("none", "backoff", "budget", "breaker", "deadlines", "shedding")
LABELS = {"none": "no defences", "backoff": "back-off + jitter", "budget": "+ retry budget",
          "breaker": "+ circuit breaker", "deadlines": "+ deadlines / expiry",
          "shedding": "+ load shedding"}
BOUNDS = {"none": "", "backoff": "timing", "budget": "volume", "breaker": "recovery window",
          "deadlines": "wasted work", "shedding": "queue length"}
COLUMNS = {  # key -> heading
    "peak_calls_x": "peak downstream calls (× arrival rate)",
    "retries_per_request": "retries per original request",
    "recovery_s": "recovery (s)",
    "user_wait_p99": "p99 user wait (s)",
    "shed": "requests shed",
}


def rung_overrides(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The keys each rung changes (cumulative: each rung keeps the ones before it)."""
    retry, web = scenario.retry, scenario.web
    deadline = (scenario.arrivals.deadline or web.timeout or DEFAULT_DEADLINE_S)
    steps = {
        "none": {"retry.backoff": "none", "retry.jitter": "none", "retry.budget.ratio": 0.0,
                 "circuit_breaker.enabled": False, "arrivals.deadline": 0.0,
                 "task.expires": 0.0, "web.max_queue": 0},
        "backoff": {"retry.backoff": "exponential", "retry.jitter": "full",
                    "retry.base": retry.base or DEFAULT_BASE_S},
        "budget": {"retry.budget.ratio": retry.budget.ratio or DEFAULT_BUDGET_RATIO},
        "breaker": {"circuit_breaker.enabled": True},
        "deadlines": {"arrivals.deadline": deadline,
                      "task.expires": scenario.task.expires or deadline},
        "shedding": {"web.max_queue": web.max_queue or SHED_QUEUE_PER_THREAD * web.workers},
    }
    out: dict[str, dict[str, Any]] = {}
    keys: dict[str, Any] = {}
    for rung in RUNGS:
        keys = {**keys, **steps[rung]}
        out[rung] = dict(keys)
    return out


def rung_scenarios(scenario: Scenario) -> dict[str, Scenario]:
    return {rung: apply_overrides(scenario, keys)
            for rung, keys in rung_overrides(scenario).items()}


@dataclass(frozen=True)
class Row:
    rung: str
    label: str
    bounds: str
    figures: dict[str, float | int | None]


def figures_of(result: Result) -> dict[str, float | int | None]:
    """The ladder's columns for one run (from its summary): retries per original request
    count task retries and users' resends; recovery is inf when goodput never came back after
    a fault, None without a fault."""
    s = result.summary
    requests = s["requests"]
    originals = requests["arrived"] - requests["retried"]
    retries = s["tasks"]["retries"] + requests["retried"]
    recovery = s["recovery_s"]
    if recovery is None and last_fault_end(s["faults"]) is not None:
        recovery = math.inf
    return {
        "peak_calls_x": s["downstream"]["peak_call_rate"] / result.scenario.arrivals.rate,
        "retries_per_request": retries / originals if originals else None,
        "recovery_s": recovery,
        "user_wait_p99": s["user_wait_s"]["p99"],
        "shed": requests["shed"],
    }


def _text(key: str, value: float | int | None) -> str:
    if value is None:
        return "—"
    if key == "recovery_s":
        return "not before the end" if math.isinf(value) else f"{value:.0f}"
    if key == "peak_calls_x":
        return f"{value:.1f}×"
    if key == "shed":
        return f"{value:,}"
    return f"{value:.2f}"


def table(rows: list[Row]) -> list[dict[str, str]]:
    """The ladder as rows of text: rung, what it bounds, then one cell per column heading."""
    return [{"defences": row.label, "bounds": row.bounds or "—",
             **{COLUMNS[k]: _text(k, row.figures[k]) for k in COLUMNS}} for row in rows]


Progress = Callable[[int, int, str], None]  # (rungs done, rungs in all, rung being run)


def defence_ladder(scenario: Scenario, mode: str | None = None, seed: int | None = None,
                   progress: Progress | None = None,
                   runner: Callable[[Scenario, str, int], Result] | None = None) -> list[Row]:
    """Run every rung on the same traffic; ``progress`` is told before each run and at the end."""
    mode = mode or scenario.mode
    seed = scenario.seed if seed is None else seed
    runner = runner or run
    rows: list[Row] = []
    scenarios = rung_scenarios(scenario)
    for done, (rung, rung_scenario) in enumerate(scenarios.items()):
        if progress is not None:
            progress(done, len(scenarios), LABELS[rung])
        result = runner(rung_scenario, mode, seed)
        rows.append(Row(rung, LABELS[rung], BOUNDS[rung], figures_of(result)))
    if progress is not None:
        progress(len(scenarios), len(scenarios), "")
    return rows


__all__ = ["BOUNDS", "COLUMNS", "LABELS", "RUNGS", "Row", "defence_ladder", "rung_overrides",
           "rung_scenarios", "table"]
