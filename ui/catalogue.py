"""The bundled scenarios by topic, and plain-words lines for what has no knob (the arrival
profile and the injected faults). Pure Python (no streamlit)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sim.scenario import Scenario, ScenarioError, bundled_ids, load_scenario

TOPICS = {  # topic -> heading, in the order a course would take them
    "basics": "Basics", "retries": "Retries", "delivery": "Delivery guarantees",
    "kafka": "Kafka", "faults": "Faults", "load": "Load",
}


def catalogue() -> tuple[tuple[str, str, str, str], ...]:
    """(id, topic, title, description) of every bundled scenario, by topic then title."""
    return _catalogue(tuple(bundled_ids()))


@lru_cache(maxsize=4)
def _catalogue(ids: tuple[str, ...]) -> tuple[tuple[str, str, str, str], ...]:
    rows = []
    for sid in ids:
        try:
            sc = load_scenario(sid)
        except ScenarioError:
            rows.append((sid, "other", sid, ""))
            continue
        rows.append((sid, sc.topic, sc.title, sc.description))
    order = {t: k for k, t in enumerate(TOPICS)}
    return tuple(sorted(rows, key=lambda r: (order.get(r[1], len(order)), r[2].lower())))


def ordered_ids() -> list[str]:
    return [row[0] for row in catalogue()]


def topic_name(topic: str) -> str:
    return TOPICS.get(topic, topic.capitalize())


def option_label(sid: str) -> str:
    """'Faults · The broker goes down for 15 seconds' for the scenario picker."""
    for row_id, topic, title, _desc in catalogue():
        if row_id == sid:
            return f"{topic_name(topic)} · {title}"
    return sid


def first_sentence(text: str) -> str:
    head, dot, _rest = text.partition(". ")
    return head + ("." if dot or not head.endswith(".") else "")


def _s(x: float) -> str:
    return f"{x:g} s"


def profile_text(scenario: Scenario) -> str | None:
    """'20/s from the start, then 30/s from 60 s, 5/s from 120 s', or None without a profile."""
    steps = scenario.arrivals.profile
    if not steps:
        return None
    parts = [f"{scenario.arrivals.rate:g}/s from the start"] if steps[0].at > 0 else []
    parts += [f"{s.rate:g}/s from {_s(s.at)}" for s in steps]
    return "Traffic changes over time: " + ", then ".join(parts) + \
        " (the arrival-rate knob sets the starting rate only)."


FAULT_WORDS = {
    "worker_crash": lambda f: (
        f"one pool process of {f.count} worker{'s' if f.count > 1 else ''} is killed at "
        f"{_s(f.at)} (the worker lives on)" if f.scope == "child" else
        f"{f.count} worker{'s crash' if f.count > 1 else ' crashes'} "
        f"at {_s(f.at)}" + (f", back {_s(f.restart_after)} later"
                            if f.restart_after is not None else ", never restarted")),
    "broker_outage": lambda f: f"the broker is down from {_s(f.at)} for {_s(f.duration)}",
    "downstream_outage": lambda f: (f"the downstream service is down from {_s(f.at)} for "
                                    f"{_s(f.duration)} (every call fails)"),
    "downstream_slowdown": lambda f: (f"the downstream service is {f.factor:g}× slower from "
                                      f"{_s(f.at)} for {_s(f.duration)}"),
}
ONLY_ASYNC = {"worker_crash", "broker_outage"}


def fault_lines(scenario: Scenario) -> list[str]:
    """One line per injected fault, saying when, how long, and which design it touches."""
    lines = []
    for fault in scenario.faults:
        words: Any = FAULT_WORDS.get(fault.kind, lambda f: f.kind.replace("_", " "))
        note = " — async only: the sync design has no broker or workers" \
            if fault.kind in ONLY_ASYNC else ""
        lines.append(words(fault) + note)
    return lines
