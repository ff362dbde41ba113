"""Checking a lesson's claims: metrics over the summary, relations, preset runs."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.lessons.metric import FUNCTIONS, OPS, parse_metric
from sim.lessons.schema import Expect, Lesson
from sim.lessons.words import metric_words
from sim.prediction import prediction
from sim.runner import run
from sim.scenario import (
    Scenario,
    load_scenario,
)

# --- metrics and claims ----------------------------------------------------------------------

def theory_of(scenario: Scenario, mode: str) -> dict[str, object]:
    """The theory of the tier that queues (:func:`sim.prediction.prediction`): the summary's
    keys (model, queue_wait_s, applies, note) plus ``rho``, ``lq`` and ``wq`` (the same as
    queue_wait_s)."""
    found = prediction(scenario, mode)
    return {**found, "wq": found["queue_wait_s"]}


def evaluate(text: str, result: Any) -> Any:
    """The value of a metric expression for one run (a :class:`sim.runner.Result`)."""
    space = {**result.summary, "scenario": result.scenario.to_dict(),
             "theory": theory_of(result.scenario, result.mode)}

    def value(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return space.get(node.id)
        if isinstance(node, ast.Attribute):
            inner = value(node.value)
            if not isinstance(inner, Mapping) or node.attr not in inner:
                raise KeyError(f"metric {text!r}: no key {node.attr!r}")
            return inner[node.attr]
        if isinstance(node, ast.Subscript):
            return value(node.value)[value(node.slice)]
        if isinstance(node, ast.UnaryOp):
            return -value(node.operand)
        if isinstance(node, ast.Call):
            return FUNCTIONS[node.func.id](*(value(a) for a in node.args))  # type: ignore[attr-defined]
        left, right = value(node.left), value(node.right)  # type: ignore[attr-defined]
        if left is None or right is None:
            return None
        return OPS[type(node.op)](left, right)  # type: ignore[attr-defined]

    return value(parse_metric(text))


@dataclass(frozen=True)
class Outcome:
    """A checked claim: the values compared and whether the claim held."""

    expect: Expect
    ok: bool
    left: Any
    right: Any
    detail: str


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else repr(value)


def compare_values(claim: Expect, left: Any, right: Any) -> tuple[bool, str]:
    """Whether ``left relation right`` holds, and a one-line account of it."""
    rel, margin, l_, r_ = claim.relation, claim.tolerance, _num(left), _num(right)
    if rel == "contains":
        return any(str(right) in str(item) for item in left or []), f"{left!r} ∋ {right!r}"
    if left is None or (right is None and rel != "between"):
        return False, f"no value to compare ({l_} vs {r_})"
    if rel == "between":
        return (bool(claim.low <= left <= claim.high),  # type: ignore[operator]
                f"{_num(claim.low)} ≤ {l_} ≤ {_num(claim.high)}")
    if rel.startswith("ratio"):
        ratio = left / right if right else (math.inf if left else math.nan)
        at_least = rel == "ratio_at_least"
        ok = ratio >= claim.factor if at_least else ratio <= claim.factor  # type: ignore[operator]
        return bool(ok), f"{l_} / {r_} = {_num(ratio)} {'≥' if at_least else '≤'} " \
                         f"{_num(claim.factor)}"
    by = f" by more than {margin:.0%}" if margin else ""
    tests = {
        "less_than": (lambda: left < right * (1 - margin), f"{l_} < {r_}{by}"),
        "greater_than": (lambda: left > right * (1 + margin), f"{l_} > {r_}{by}"),
        "at_most": (lambda: left <= right, f"{l_} ≤ {r_}"),
        "at_least": (lambda: left >= right, f"{l_} ≥ {r_}"),
        "equal": (lambda: left == right, f"{l_} = {r_}"),
        "approx": (lambda: abs(left - right) <= margin * abs(right),
                   f"{l_} ≈ {r_} (±{margin:.0%})"),
    }
    test, text = tests[rel]
    return bool(test()), text


def check(claim: Expect, results: Mapping[str, Any]) -> Outcome:
    """Check one claim against runs of the presets it names (preset id -> Result)."""
    left = evaluate(claim.metric, results[claim.of])
    right = evaluate(claim.metric, results[claim.than]) if claim.than else claim.value
    ok, detail = compare_values(claim, left, right)
    return Outcome(claim, ok, left, right, f"{metric_words(claim.metric)}: {detail}")


def preset_scenario(lesson: Lesson, preset_id: str) -> Scenario:
    preset = lesson.meta.presets[preset_id]
    return load_scenario(preset.scenario, preset.overrides)


def preset_mode(lesson: Lesson, preset_id: str) -> str:
    preset = lesson.meta.presets[preset_id]
    return preset.mode or preset_scenario(lesson, preset_id).mode


def preset_seed(lesson: Lesson, preset_id: str) -> int:
    preset = lesson.meta.presets[preset_id]
    return preset.seed if preset.seed is not None else preset_scenario(lesson, preset_id).seed


def presets_of(claims: list[Expect]) -> list[str]:
    """The presets a list of claims needs, in order of first use."""
    return list(dict.fromkeys(p for c in claims for p in (c.of, c.than) if p))


Runner = Callable[[Scenario, str, int], Any]


def check_lesson(lesson: Lesson, runner: Runner | None = None, seed_offset: int = 0,
                 claims: list[Expect] | None = None) -> list[Outcome]:
    """Run the presets and check every claim (or ``claims``); ``seed_offset`` shifts every
    preset's seed to try the claims on other traffic."""
    runner = runner or run
    claims = lesson.meta.expect if claims is None else claims
    results = {pid: runner(preset_scenario(lesson, pid), preset_mode(lesson, pid),
                           preset_seed(lesson, pid) + seed_offset)
               for pid in presets_of(claims)}
    return [check(claim, results) for claim in claims]
