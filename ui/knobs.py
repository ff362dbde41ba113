"""The knobs a student can turn: which scenario key each widget sets, its range, unit and help.

Pure Python (no streamlit) so the mapping between widgets, scenario keys and URL parameters can be
tested on its own. Values are read from a scenario's plain dict (``Scenario.to_dict()``) and turned
back into dotted overrides (``{"workers.count": 4}``) that :func:`sim.apply_overrides` validates.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any

from sim.dists import cv_of, mean_of
from sim.scenario import Scenario

TASK_MEAN, TASK_CV = "task_mean", "task_cv"


@dataclass(frozen=True)
class Knob:
    """One widget: ``key`` (widget key), ``path`` (dotted scenario key), how to show it."""

    key: str
    path: str
    label: str
    help: str
    kind: str = "float"  # float | int | bool | choice
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    group: str = "Traffic"
    fmt: str | None = None  # printf-style format of the slider value


KNOBS: tuple[Knob, ...] = (
    Knob("rate", "arrivals.rate", "Arrival rate (requests/s)",
         "How many users send a request each second, on average (random, Poisson arrivals).",
         "float", 1, 200, 1, "Traffic", "%.0f"),
    Knob("duration", "duration", "Duration (s of simulated time)",
         "How long requests keep arriving. Longer runs give steadier numbers but take longer.",
         "float", 10, 600, 10, "Traffic", "%.0f"),
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
         "Probability that one try of the job fails (e.g. the mail server says 'try later').",
         "float", 0.0, 0.5, 0.01, "Task", "%.2f"),
    Knob("workers", "workers.count", "Worker processes",
         "Background worker processes that take jobs from the broker (async mode only).",
         "int", 1, 32, 1, "Workers"),
    Knob("concurrency", "workers.concurrency", "Slots per worker (concurrency)",
         "How many jobs each worker runs at the same time.", "int", 1, 32, 1, "Workers"),
    Knob("prefetch", "workers.prefetch_multiplier", "Prefetch multiplier",
         "How many messages a worker reserves per slot before it has room. High values let a "
         "busy worker hoard jobs while others sit idle.", "int", 1, 50, 1, "Workers"),
    Knob("acks_late", "workers.acks_late", "Acknowledge late (acks_late)",
         "On: a job is confirmed only when it finishes, so a crash re-delivers it. Off: it is "
         "confirmed when it starts, so a crash loses it.", "bool", group="Workers"),
    Knob("max_retries", "retry.max_retries", "Max retries",
         "How many more times a failed job is tried before giving up.", "int", 0, 10, 1, "Retry"),
    Knob("backoff", "retry.backoff", "Back-off",
         "How long to wait before retrying: none, always the same (fixed), or doubling each "
         "time (exponential).", "choice", group="Retry"),
    Knob("base", "retry.base", "Back-off base (s)",
         "The first wait before a retry, in seconds.", "float", 0.0, 10.0, 0.1, "Retry", "%.1f"),
    Knob("cap", "retry.cap", "Back-off cap (s)",
         "The longest wait between retries, in seconds.", "float", 0.0, 120.0, 1.0, "Retry",
         "%.0f"),
    Knob("jitter", "retry.jitter", "Jitter",
         "Randomness added to the wait so that many failed jobs do not all retry at the same "
         "instant (full, equal, decorrelated), or none.", "choice", group="Retry"),
)
BY_KEY = {k.key: k for k in KNOBS}
BY_PATH = {k.path: k for k in KNOBS}


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
    """The value a knob shows for ``scenario``."""
    if knob.key == TASK_MEAN:
        return round(mean_of(scenario.task.service), 4)
    if knob.key == TASK_CV:
        return round(cv_of(scenario.task.service), 3)
    value = get_path(scenario.to_dict(), knob.path)
    if knob.kind == "int":
        return int(value)
    if knob.kind == "float":
        return float(value)
    return value


def knob_values(scenario: Scenario) -> dict[str, Any]:
    return {k.key: knob_value(scenario, k) for k in KNOBS}


def _same(a: Any, b: Any) -> bool:
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
        if not _same(values[knob.key], knob_value(base, knob)):
            out[knob.path] = values[knob.key]
    out.update(_task_time(base, values))
    return out


def _task_time(base: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    mean = values.get(TASK_MEAN, knob_value(base, BY_KEY[TASK_MEAN]))
    cv = values.get(TASK_CV, knob_value(base, BY_KEY[TASK_CV]))
    same_mean = _same(mean, knob_value(base, BY_KEY[TASK_MEAN]))
    same_cv = _same(cv, knob_value(base, BY_KEY[TASK_CV]))
    if same_mean and same_cv:
        return {}
    dist = base.task.service.dist
    if dist == "lognormal":
        return {**({} if same_mean else {"task.service.mean": mean}),
                **({} if same_cv else {"task.service.cv": cv})}
    if same_cv and dist in ("exponential", "erlang"):
        return {"task.service.mean": mean}
    return {"task.service": {"dist": "lognormal", "mean": mean, "cv": cv}}


# --- broker: its kind and the settings of that kind, read from the schema ----------------------

BROKER_KIND = "broker_kind"
BROKER_HELP = {
    "rabbitmq": "A classic message queue: the broker pushes each message to one worker.",
    "redis": "A Redis list used as a queue: unacknowledged messages come back after the "
             "visibility timeout.",
    "kafka": "A partitioned log: each partition is read in order by one consumer, so a slow "
             "partition builds up lag.",
}


def broker_models() -> dict[str, Any]:
    """Broker kinds the schema accepts, with their model classes."""
    annotation = Scenario.model_fields["broker"].annotation
    found: dict[str, Any] = {}
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and hasattr(item, "model_fields"):
            tag = item.model_fields.get("kind")
            if tag is not None:
                found[str(tag.default)] = item
        else:
            stack.extend(typing.get_args(item))
    return dict(sorted(found.items(), key=lambda kv: kv[0] != "rabbitmq"))


def broker_fields(kind: str) -> dict[str, Any]:
    """The plain number/bool settings of a broker kind: name -> pydantic FieldInfo."""
    model = broker_models().get(kind)
    if model is None:
        return {}
    return {name: f for name, f in model.model_fields.items()
            if name != "kind" and f.annotation in (int, float, bool)}


def field_bounds(field: Any) -> tuple[float | None, float | None]:
    """(lowest, highest) allowed by a pydantic field's ge/gt/le constraints."""
    low = high = None
    for item in field.metadata:
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        if getattr(item, "gt", None) is not None:
            low = item.gt
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
    return low, high


def broker_overrides(base: Scenario, kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Overrides for the broker: its changed settings, or the whole section for a new kind."""
    current = base.to_dict().get("broker", {})
    if kind != current.get("kind"):
        return {"broker": {"kind": kind, **settings}}
    return {f"broker.{name}": value for name, value in settings.items()
            if not _same(value, current.get(name))}
