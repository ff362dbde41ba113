"""Text specs of an experiment, as typed on the command line, read into values with one-line
errors: ``--vary arrivals.rate=5:60:12`` (12 evenly spaced values from 5 to 60),
``--vary workers.count=1,2,4,8`` (a list), ``--slo user_wait_s.p95=2``, ``--range 1:64``.
Values are read as YAML scalars, like ``--set``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.safe_yaml import YAMLRefused, quote
from sim.safe_yaml import load as safe_load
from sim.scenario import VALUE_BYTES, ScenarioError

MAX_VALUES = 1000  # values of one varied key


def _scalar(text: str, where: str) -> Any:
    try:
        value = safe_load(text, max_bytes=VALUE_BYTES)  # the one safe loader: no aliases, small
    except YAMLRefused:
        value = None
    if value is None or isinstance(value, (dict, list)):
        raise ScenarioError(f"{where}: cannot read value {quote(text)}")
    return value


def _number(text: str, where: str) -> float | int:
    value = _scalar(text, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value):
        raise ScenarioError(f"{where}: {text!r} is not a finite number")
    return value


def _split(spec: str, flag: str) -> tuple[str, str]:
    key, sep, raw = spec.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key or not raw:
        raise ScenarioError(f"{flag} {spec}: expected KEY=VALUES, e.g. "
                            f"{'workers.count=1,2,4' if flag == '--vary' else 'KEY=2'}")
    return key, raw


def spaced(start: float, stop: float, count: int) -> list[float | int]:
    """``count`` evenly spaced values from ``start`` to ``stop``; whole numbers stay whole."""
    values = np.linspace(float(start), float(stop), count)
    if all(isinstance(v, int) for v in (start, stop)) and np.allclose(values, np.round(values)):
        return [round(v) for v in values]
    return [round(float(v), 9) for v in values]


def parse_vary(spec: str) -> tuple[str, list[Any]]:
    """``KEY=START:STOP:COUNT`` or ``KEY=V1,V2,...`` (or one value) -> (key, values)."""
    key, raw = _split(spec, "--vary")
    where = f"--vary {key}"
    if ":" in raw:
        parts = raw.split(":")
        if len(parts) != 3:
            raise ScenarioError(f"{where}: a range is START:STOP:COUNT, got {raw!r}")
        start, stop = _number(parts[0], where), _number(parts[1], where)
        count = _number(parts[2], where)
        if not isinstance(count, int) or not 1 <= count <= MAX_VALUES:
            raise ScenarioError(f"{where}: COUNT must be a whole number from 1 to "
                                f"{MAX_VALUES}, got {parts[2]!r}")
        return key, spaced(start, stop, count)
    values = [_scalar(part.strip(), where) for part in raw.split(",") if part.strip()]
    if not values or len(values) > MAX_VALUES:
        raise ScenarioError(f"{where}: give 1 to {MAX_VALUES} values, got {raw!r}")
    return key, values


def parse_varies(specs: list[str]) -> dict[str, list[Any]]:
    vary: dict[str, list[Any]] = {}
    for spec in specs:
        key, values = parse_vary(spec)
        if key in vary:
            raise ScenarioError(f"--vary {key}: given twice")
        vary[key] = values
    return vary


def parse_slo(spec: str) -> tuple[str, float]:
    """``user_wait_s.p95=2`` -> ("user_wait_s.p95", 2.0): the metric must stay at or below."""
    key, raw = _split(spec, "--slo")
    return key, float(_number(raw, f"--slo {key}"))


def parse_range(spec: str) -> tuple[float, float]:
    """``1:64`` -> (1, 64), low below high."""
    parts = spec.split(":")
    if len(parts) != 2:
        raise ScenarioError(f"--range: expected LOW:HIGH, e.g. 1:64, got {spec!r}")
    low, high = (_number(p, "--range") for p in parts)
    if not low < high:
        raise ScenarioError(f"--range: LOW must be below HIGH, got {spec!r}")
    return low, high


__all__ = ["MAX_VALUES", "parse_range", "parse_slo", "parse_varies", "parse_vary", "spaced"]
