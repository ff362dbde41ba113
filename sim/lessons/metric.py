"""Lesson metrics: small, safe arithmetic expressions over a run's summary keys."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

FUNCTIONS: dict[str, Callable[..., Any]] = {"len": len, "min": min, "max": max, "abs": abs,
                                            "sum": sum}
ROOTS = ("requests", "response_time_s", "user_wait_s", "throughput_rps", "tasks",
         "task_latency_s", "queue_wait_s", "utilization", "lag", "warnings", "time_avg", "run",
         "services", "scenario", "theory", "retries", "circuit_breaker", "downstream",
         "amplification", "recovery_s", "goodput")
OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b if b else (math.inf if a else math.nan)}


def parse_metric(text: str) -> ast.expr:
    """Parse a metric expression; only names of the summary, numbers, + - * / and a few
    functions are allowed."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise ValueError(f"metric: cannot read {text!r}") from None
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Attribute, ast.Name, ast.Constant,
                               ast.Call, ast.Subscript, ast.Load, ast.USub, *OPS))
        if not ok or (isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS)):
            raise ValueError(f"metric: {text!r} may only use summary keys, numbers, + - * / "
                             f"and {', '.join(FUNCTIONS)}")
        if isinstance(node, ast.Name) and node.id not in (*ROOTS, *FUNCTIONS):
            raise ValueError(f"metric: unknown name {node.id!r} in {text!r} "
                             f"(known: {', '.join(ROOTS)})")
    return tree
