"""The knobs a student can turn: which scenario key each widget sets, its range, unit and help.

Pure Python (no streamlit) so the mapping between widgets, scenario keys and URL parameters can be
tested on its own. Values are read from a scenario's plain dict (``Scenario.to_dict()``) and turned
back into dotted overrides (``{"workers.count": 4}``) that :func:`sim.apply_overrides` validates.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass
from typing import Any

from sim.dists import cv_of, mean_of
from sim.scenario import Scenario

TASK_MEAN, TASK_CV = "task_mean", "task_cv"


@dataclass(frozen=True)
class Knob:
    """One widget: ``key`` (widget key), ``path`` (dotted scenario key), how to show it.

    ``kind``: float | int | bool | choice, or ``optional`` (a number where 0 stands for "none",
    e.g. no time-out) or ``rate`` (Celery's "10/s" rate limit as tasks per second; 0 = none).
    """

    key: str
    path: str
    label: str
    help: str
    kind: str = "float"
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    group: str = "Traffic"
    fmt: str | None = None  # printf-style format of the slider value


GROUPS = ("Traffic", "Users who give up", "Web tier", "Task", "Downstream service", "Workers",
          "Worker limits", "Retry", "Defences")

KNOBS: tuple[Knob, ...] = (
    Knob("rate", "arrivals.rate", "Arrival rate (requests/s)",
         "How many users send a request each second, on average (random, Poisson arrivals).",
         "float", 1, 200, 1, "Traffic", "%.0f"),
    Knob("duration", "duration", "Duration (s of simulated time)",
         "How long requests keep arriving. Longer runs give steadier numbers but take longer.",
         "float", 10, 600, 10, "Traffic", "%.0f"),
    Knob("web_timeout", "web.timeout", "Users give up after (s; 0 = never)",
         "A user who has had no answer after this many seconds stops waiting (the request "
         "counts as timed out). 0: users wait as long as it takes.",
         "optional", 0.0, 60.0, 0.5, "Users who give up", "%.1f"),
    Knob("client_retries", "arrivals.client_retries", "Times a user tries again",
         "After giving up, a user sends the same request again, up to this many times. The "
         "server still works on the abandoned request, so the same work arrives twice. "
         "Needs 'Users give up after' above 0.", "int", 0, 5, 1, "Users who give up"),
    Knob("client_retry_delay", "arrivals.client_retry_delay", "Wait before trying again (s)",
         "How long a user waits after giving up before sending the request again.",
         "float", 0.0, 30.0, 0.5, "Users who give up", "%.1f"),
    Knob("web_workers", "web.workers", "Web threads",
         "How many requests the web server can work on at the same time. Others wait in line.",
         "int", 1, 64, 1, "Web tier"),
    Knob(TASK_MEAN, "task.service.mean", "Task time, mean (s)",
         "How long the slow job (email, payment, report) takes on average, in seconds.",
         "float", 0.01, 5.0, 0.01, "Task", "%.2f"),
    Knob(TASK_CV, "task.service.cv", "Task time variability (CV)",
         "Spread of task times: 0 = always the same, 1 = as random as an exponential, "
         "above 1 = a few very slow jobs.", "float", 0.0, 3.0, 0.1, "Task", "%.1f"),
    Knob("failure_rate", "task.failure_rate", "Chance a task attempt fails",
         "Probability that one try of the job fails (e.g. the mail server says 'try later'). "
         "A retry may then succeed.", "float", 0.0, 0.5, 0.01, "Task", "%.2f"),
    Knob("poison_rate", "task.poison_rate", "Share of poison tasks",
         "Share of jobs that can never succeed, however often they are tried (e.g. a malformed "
         "payload). They use up all their retries, then fail or go to the dead-letter queue.",
         "float", 0.0, 0.2, 0.005, "Task", "%.3f"),
    Knob("ds_capacity", "downstream.capacity", "Calls it can take at once (0 = no limit)",
         "The outside service the job calls (mail server, payment gateway) handles at most "
         "this many calls at the same time; further calls wait their turn. 0: no limit.",
         "int", 0, 200, 1, "Downstream service"),
    Knob("ds_timeout", "downstream.timeout", "Caller gives up on a call after (s; 0 = never)",
         "A call to the outside service that takes longer than this is abandoned and counts "
         "as a failed attempt (the service may still be busy with it). 0: wait forever.",
         "optional", 0.0, 30.0, 0.5, "Downstream service", "%.1f"),
    Knob("workers", "workers.count", "Worker processes",
         "Background worker processes that take jobs from the broker (async mode only).",
         "int", 1, 32, 1, "Workers"),
    Knob("concurrency", "workers.concurrency", "Slots per worker (concurrency)",
         "How many jobs each worker runs at the same time.", "int", 1, 32, 1, "Workers"),
    Knob("prefetch", "workers.prefetch_multiplier", "Prefetch multiplier",
         "How many messages a worker reserves per slot before it has room. High values let a "
         "busy worker hoard jobs while others sit idle.", "int", 1, 50, 1, "Workers"),
    Knob("acks_late", "workers.acks_late", "Acknowledge late (acks_late)",
         "On: a job is confirmed only when it finishes, so a lost worker's jobs are delivered "
         "again (on Redis after the visibility timeout). Off: it is confirmed when it starts, "
         "so a lost worker loses it.", "bool", group="Workers"),
    Knob("reject_on_lost", "workers.task_reject_on_worker_lost", "Re-queue if its worker dies",
         "Celery's task_reject_on_worker_lost, with acks_late: on, a job whose pool process "
         "died is put back in the queue and runs again; off, it is marked failed "
         "(WorkerLostError).", "bool",
         group="Workers"),
    Knob("rate_limit", "workers.rate_limit", "Rate limit per worker (tasks/s; 0 = none)",
         "Celery's rate_limit: each worker process starts at most this many jobs per second, "
         "however many slots are free. 0: no limit.", "rate", 0.0, 50.0, 0.5,
         "Worker limits", "%.1f"),
    Knob("soft_time_limit", "workers.soft_time_limit", "Soft time limit (s; 0 = none)",
         "A job still running after this many seconds is told to stop (it fails and may be "
         "retried). 0: no limit.", "optional", 0.0, 120.0, 1.0, "Worker limits", "%.0f"),
    Knob("time_limit", "workers.time_limit", "Hard time limit (s; 0 = none)",
         "A job still running after this many seconds is killed. Must not be below the soft "
         "limit. 0: no limit.", "optional", 0.0, 120.0, 1.0, "Worker limits", "%.0f"),
    Knob("max_retries", "retry.max_retries", "Max retries",
         "How many more times a failed job is tried before giving up.", "int", 0, 10, 1, "Retry"),
    Knob("backoff", "retry.backoff", "Back-off",
         "How long to wait before retrying: none (at once), always the same (fixed), or "
         "doubling each time (exponential).", "choice", group="Retry"),
    Knob("base", "retry.base", "Back-off base (s)",
         "The first wait before a retry, in seconds.", "float", 0.0, 10.0, 0.1, "Retry", "%.1f"),
    Knob("cap", "retry.cap", "Back-off cap (s)",
         "The longest wait between retries, in seconds.", "float", 0.0, 120.0, 1.0, "Retry",
         "%.0f"),
    Knob("jitter", "retry.jitter", "Jitter",
         "Randomness added to the wait so that many failed jobs do not all retry at the same "
         "instant (full, equal, decorrelated), or none.", "choice", group="Retry"),
    Knob("budget_ratio", "retry.budget.ratio", "Retry budget (share of first tries; 0 = none)",
         "A retry budget (Finagle's RetryBudget, Envoy's retry budget): retries are allowed only "
         "up to this share of the first attempts of the last 10 s, plus the minimum below. A "
         "retry that finds the budget empty is not made: the job fails (reason 'budget'). "
         "0: no budget.", "float", 0.0, 2.0, 0.05, "Defences", "%.2f"),
    Knob("budget_min", "retry.budget.min_per_second", "Retry budget: retries always allowed (/s)",
         "Finagle's minRetriesPerSec: this many retries per second are allowed whatever the "
         "traffic (used only with a retry budget).", "float", 0.0, 20.0, 0.5, "Defences",
         "%.1f"),
    Knob("breaker", "circuit_breaker.enabled", "Circuit breaker",
         "A circuit breaker (Resilience4j, Polly) around the calls to the outside service: when "
         "too many recent calls failed it opens, and calls fail at once without reaching the "
         "service; after a wait it lets a few trial calls through.", "bool", group="Defences"),
    Knob("breaker_threshold", "circuit_breaker.failure_rate_threshold",
         "Breaker opens at this share of failed calls",
         "Resilience4j's failureRateThreshold: open when this share of the calls in the window "
         "failed or timed out.", "float", 0.05, 1.0, 0.05, "Defences", "%.2f"),
    Knob("breaker_window", "circuit_breaker.sliding_window", "Breaker window (last N calls)",
         "Resilience4j's slidingWindowSize: the breaker judges the last this many calls (at "
         "least the minimum below).", "int", 1, 200, 1, "Defences"),
    Knob("breaker_minimum", "circuit_breaker.minimum_calls", "Breaker minimum calls",
         "Resilience4j's minimumNumberOfCalls: no verdict on fewer calls than this (at most "
         "the window).", "int", 1, 200, 1, "Defences"),
    Knob("breaker_wait", "circuit_breaker.wait_in_open", "Breaker stays open for (s)",
         "Resilience4j's waitDurationInOpenState (Polly's BreakDuration): how long calls fail "
         "fast before trial calls are let through.", "float", 0.5, 120.0, 0.5, "Defences",
         "%.1f"),
    Knob("breaker_trials", "circuit_breaker.half_open_calls", "Breaker trial calls",
         "Resilience4j's permittedNumberOfCallsInHalfOpenState: trial calls when half-open; "
         "all succeed and it closes, any fails and it opens again.", "int", 1, 20, 1,
         "Defences"),
    Knob("deadline", "arrivals.deadline", "Deadline per request (s; 0 = none)",
         "A request's deadline, carried to its job (like gRPC deadlines or Celery's expires): "
         "work found past it is skipped, not done. 0: no deadline.", "float", 0.0, 60.0, 0.5,
         "Defences", "%.1f"),
    Knob("expires", "task.expires", "Task expires after (s; 0 = never)",
         "Celery's expires, for background jobs: a worker discards a message older than this "
         "instead of running it (async mode). 0: never.", "float", 0.0, 600.0, 1.0, "Defences",
         "%.0f"),
    Knob("max_queue", "web.max_queue", "Shed load beyond this many waiting (0 = never)",
         "Load shedding: a request that finds this many others waiting for a web thread is "
         "refused at once with an error (HTTP 503), so the ones let in stay fast. 0: never.",
         "int", 0, 1000, 5, "Defences"),
)
BY_KEY = {k.key: k for k in KNOBS}
BY_PATH = {k.path: k for k in KNOBS}

# scenario keys without a slider, in words
KEY_WORDS = {"limits.max_drain": "the drain time limit",
             "limits.max_in_system": "the bound on requests and tasks in the system",
             "limits.max_requests": "the bound on the number of requests",
             "limits.max_events": "the bound on a run's work (requests and attempts)"}
DOTTED = re.compile(r"\b(?:arrivals|web|task|downstream|broker|workers|retry|limits)"
                    r"\.[a-z_]+(?:\.[a-z_]+)?\b")


def plain_words(text: str) -> str:
    """``text`` (an engine warning, a description) with every scenario key named as its
    slider is labelled ("Max retries"), or in words where there is no slider."""
    def name(match: re.Match[str]) -> str:
        key = match[0]
        if key in BY_PATH:
            return f"“{BY_PATH[key].label}”"
        return KEY_WORDS.get(key, key)

    return DOTTED.sub(name, text)

# Celery worker settings that the engine's Kafka consumers do not use (a consumer runs one
# message per partition at a time and commits offsets: no prefetch window, no per-message
# acknowledgement, no rate limit or time limits).
CELERY_ONLY = ("prefetch", "acks_late", "reject_on_lost", "rate_limit", "soft_time_limit",
               "time_limit")
KAFKA_WHY = ("Celery worker setting: Kafka consumers in this simulator do not use it (a "
             "consumer takes one message per partition at a time and commits offsets — no "
             "prefetch, acknowledgements, rate limit or time limits). Switch the broker to "
             "rabbitmq or redis to use it.")


SERVICE_GROUPS = ("Task", "Workers", "Worker limits", "Retry")
SERVICES_WHY = ("This scenario sends each event to several services, and each service has its "
                "own task, workers and retry policy (see `services:` in the Scenario lab), so "
                "this knob changes nothing here.")


def not_applicable(knob: Knob, broker_kind: str | None, services: bool = False) -> str | None:
    """Why ``knob`` does nothing with this broker kind, or in a scenario with ``services``
    (None: it applies)."""
    if services and knob.group in SERVICE_GROUPS:
        return SERVICES_WHY
    if broker_kind == "kafka" and knob.key in CELERY_ONLY:
        return KAFKA_WHY
    return None


WORKER_GROUPS = ("Workers", "Worker limits")
DEPENDS: tuple[tuple[str, Any, str], ...] = (  # knob, "does nothing when" test, why
    ("reject_on_lost", lambda v: not v.get("acks_late", True),
     "Does nothing while 'Acknowledge late' is off: with an early acknowledgement the "
     "message is already gone when its worker dies, so there is nothing to re-queue."),
    ("client_retry_delay", lambda v: not v.get("client_retries") or not v.get("web_timeout"),
     "Does nothing while users do not try again ('Users give up after' and 'Times a user "
     "tries again' both above 0)."),
    ("base", lambda v: v.get("backoff") == "none" or v.get("max_retries") == 0,
     "Does nothing with no back-off (retries start at once) or no retries."),
    ("cap", lambda v: v.get("backoff") == "none" or v.get("max_retries") == 0,
     "Does nothing with no back-off (retries start at once) or no retries."),
    ("jitter", lambda v: v.get("backoff") == "none" or v.get("max_retries") == 0,
     "Does nothing with no back-off: there is no wait to spread out (or no retries)."),
    ("backoff", lambda v: v.get("max_retries") == 0,
     "Does nothing with 'Max retries' at 0: a failed task is not tried again."),
)
SYNC_WHY = ("Does nothing in a sync-only run: the web thread runs the job itself, there is no "
            "broker and no worker. Show the async design (Mode) to use it.")


def inactive(knob: Knob, values: dict[str, Any], broker_kind: str | None = None,
             mode: str | None = None, services: bool = False) -> str | None:
    """Why ``knob`` does nothing with the other knobs at ``values`` (widget key -> value), this
    broker kind, this mode ("sync" only: no workers) and in a scenario with ``services``;
    None when it has an effect."""
    if mode == "sync" and knob.group in WORKER_GROUPS:
        return SYNC_WHY
    elsewhere = not_applicable(knob, broker_kind, services)
    if elsewhere:
        return elsewhere
    for key, idle, why in DEPENDS:
        if key == knob.key and idle(values):
            return why
    return None


NICE = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
RATE_STEPS = 100  # at least this many steps across the arrival-rate slider


def _nice_up(x: float) -> float:
    """The smallest 'round' number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above x."""
    k = math.floor(math.log10(x))
    return round(next(m * 10**k for m in NICE if m * 10**k >= x * (1 - 1e-9)), 12)


def _step_down(x: float) -> float:
    """The largest 1, 2 or 5 × 10^k at or below x."""
    k = math.floor(math.log10(x))
    return round(max(m * 10**k for m in (1.0, 2.0, 5.0) if m * 10**k <= x * (1 + 1e-9)), 12)


def saturation(scenario: Scenario) -> float | None:
    """Arrival rate (req/s) at which the first tier of either design is fully busy (ρ = 1):
    the web threads, the workers or a capped downstream service; None if nothing saturates."""
    from sim.capacity import offered_load

    rate = float(scenario.arrivals.rate)
    loads = [max(offered_load(scenario, mode, rate).values()) for mode in ("sync", "async")]
    found = [rate / load for load in loads if load > 0]
    return min(found) if found else None


def rate_scale(scenario: Scenario) -> tuple[float, float, float, str]:
    """(low, high, step, format) of the arrival-rate slider, fitted to the scenario's capacity:
    from one step up to about 150 % of the first saturation (ρ = 1 sits at two thirds of the
    track, so the whole hockey stick is spread over it), in at least :data:`RATE_STEPS` steps."""
    rate = float(scenario.arrivals.rate)
    first = saturation(scenario)
    top = _nice_up(max(1.5 * first if first else 2 * rate, 1.2 * rate, 1e-3))
    step = _step_down(top / RATE_STEPS)
    digits = max(0, -math.floor(math.log10(step) + 1e-9))
    return round(step, 12), round(top, 12), round(step, 12), f"%.{digits}f"


def rho_words(scenario: Scenario, modes: tuple[str, ...] = ("sync", "async")) -> str:
    """'ρ at 20 req/s: sync 0.84 · async 0.77': the busiest tier's utilization per design."""
    from sim.capacity import offered_load

    parts = []
    for mode in modes:
        loads = offered_load(scenario, mode)
        tier = max(loads, key=loads.get)
        parts.append(f"{mode} {loads[tier]:.2f} ({TIER_WORDS.get(tier, tier)})")
    return f"ρ at {scenario.arrivals.rate:g} req/s: " + " · ".join(parts)


TIER_WORDS = {"web": "web threads", "workers": "workers", "downstream": "downstream"}


def slider_range(knob: Knob, scenario: Scenario | None = None
                 ) -> tuple[float, float, float, str | None]:
    """(low, high, step, format) of a number knob; the arrival rate's follow ``scenario``."""
    if knob.key == "rate" and scenario is not None:
        return rate_scale(scenario)
    return knob.low, knob.high, knob.step, knob.fmt


def get_path(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted key of a nested dict (None when missing)."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def choices(knob: Knob) -> list[str]:
    """Allowed values of a ``choice`` knob, read from the schema."""
    section, name = knob.path.split(".")
    model = Scenario.model_fields[section].annotation
    return [str(v) for v in typing.get_args(model.model_fields[name].annotation)]


def knob_value(scenario: Scenario, knob: Knob) -> Any:
    """The value a knob shows for ``scenario`` (0 for "none" in optional and rate knobs)."""
    if knob.key == TASK_MEAN:
        return round(mean_of(scenario.task.service), 4)
    if knob.key == TASK_CV:
        return round(cv_of(scenario.task.service), 3)
    if knob.kind == "rate":
        return float(scenario.workers.rate_per_second() or 0.0)
    value = get_path(scenario.to_dict(), knob.path)
    if knob.kind == "int":
        return int(value)
    if knob.kind in ("float", "optional"):
        return float(value or 0.0)
    return value


def scenario_value(knob: Knob, value: Any) -> Any:
    """What a widget value means in the scenario: 0 is None for optional and rate knobs."""
    if knob.kind in ("optional", "rate") and not value:
        return None
    if knob.kind == "rate":
        return f"{float(value):g}/s"
    return value


def widget_value(knob: Knob, value: Any) -> Any:
    """The inverse of :func:`scenario_value`: what a widget shows for a scenario value (a link's
    ``web.timeout=null`` is 0, ``workers.rate_limit=10/s`` is 10)."""
    if knob.kind in ("optional", "rate") and value is None:
        return 0.0
    if knob.kind == "rate" and isinstance(value, str):
        from sim.schema import Workers

        try:
            return float(Workers(rate_limit=value).rate_per_second() or 0.0)
        except ValueError:
            return value
    if knob.kind in ("float", "optional") and isinstance(value, (int, float)):
        return float(value)
    return value


def knob_values(scenario: Scenario) -> dict[str, Any]:
    return {k.key: knob_value(scenario, k) for k in KNOBS}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return a == b


def overrides_for(base: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """Dotted overrides that turn ``base`` into what the knobs show (only changed keys)."""
    out: dict[str, Any] = {}
    for knob in KNOBS:
        if knob.key in (TASK_MEAN, TASK_CV) or knob.key not in values:
            continue
        if not same(values[knob.key], knob_value(base, knob)):
            out[knob.path] = scenario_value(knob, values[knob.key])
    out.update(_task_time(base, values))
    return out


def _task_time(base: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    mean = values.get(TASK_MEAN, knob_value(base, BY_KEY[TASK_MEAN]))
    cv = values.get(TASK_CV, knob_value(base, BY_KEY[TASK_CV]))
    same_mean = same(mean, knob_value(base, BY_KEY[TASK_MEAN]))
    same_cv = same(cv, knob_value(base, BY_KEY[TASK_CV]))
    if same_mean and same_cv:
        return {}
    dist = base.task.service.dist
    if dist == "lognormal":
        return {**({} if same_mean else {"task.service.mean": mean}),
                **({} if same_cv else {"task.service.cv": cv})}
    if same_cv and dist in ("exponential", "erlang"):
        return {"task.service.mean": mean}
    return {"task.service": {"dist": "lognormal", "mean": mean, "cv": cv}}


ALWAYS_OPEN = ("Traffic", "Workers")


def open_groups(scenario: Scenario) -> set[str]:
    """Groups to show unfolded: the usual ones, and any whose values this scenario changed
    from the defaults (a retry storm opens "Downstream service" and "Users who give up")."""
    default = Scenario()
    changed = {k.group for k in KNOBS if k.key not in (TASK_MEAN, TASK_CV)
               and not same(knob_value(scenario, k), knob_value(default, k))}
    topical = {"Retry", "Defences"} if scenario.topic == "retries" else set()
    return set(ALWAYS_OPEN) | topical | (changed - {"Traffic", "Web tier", "Task", "Retry"})
