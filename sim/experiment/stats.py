"""Statistics over replications: dotted summary keys, Student-t confidence intervals, and the
paired comparison of two configurations run on the same seeds (common random numbers).

A replication is one run with its own seed; its summary is one observation. The mean of ``n``
observations has the confidence interval ``mean ± t(1 - α/2, n - 1) · s / √n`` (Student t with
``n - 1`` degrees of freedom; s the sample standard deviation), valid when the replications are
independent and their means roughly normal (A. M. Law, "Simulation Modeling and Analysis",
5th ed., 2015, §9.4). Two configurations run on the same seeds are compared through the
per-seed differences (paired t, Law §10.2): common random numbers make them far less noisy than
two independent samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

CONFIDENCE = 0.95
SKIPPED_SECTIONS = ("mode", "warnings", "faults", "scenario")  # text, lists of windows


def flatten(summary: Mapping[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Every number of a summary under its dotted key (``response_time_s.p95``); booleans
    become 0/1, lists and text are left out."""
    flat: dict[str, float | None] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if not prefix and key in SKIPPED_SECTIONS:
            continue
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, bool):
            flat[name] = float(value)
        elif isinstance(value, (int, float)) or value is None:
            flat[name] = None if value is None else float(value)
    return flat


def lookup(summary: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted key in a summary; KeyError naming the key when there is none."""
    node: Any = summary
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


@dataclass(frozen=True)
class Interval:
    """Mean of the replications and its confidence interval (``low``..``high``)."""

    mean: float | None
    half_width: float | None
    n: int
    confidence: float = CONFIDENCE

    @property
    def low(self) -> float | None:
        return None if self.mean is None else self.mean - (self.half_width or 0.0)

    @property
    def high(self) -> float | None:
        return None if self.mean is None else self.mean + (self.half_width or 0.0)

    def as_dict(self) -> dict[str, float | int | None]:
        return {"mean": self.mean, "half_width": self.half_width, "ci_low": self.low,
                "ci_high": self.high, "n": self.n}


@lru_cache(maxsize=256)
def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """Student t quantile for a two-sided interval from ``n`` observations."""
    from scipy import stats as scipy_stats  # here: importing it costs ~1 s a command needs not

    return float(scipy_stats.t.ppf(0.5 + confidence / 2, n - 1))


def interval(values: Iterable[float | None], confidence: float = CONFIDENCE) -> Interval:
    """Student-t interval of the mean of ``values`` (missing values left out). One value has
    no spread to estimate: its half-width is None (unknown), never 0."""
    data = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = int(data.size)
    if n == 0:
        return Interval(None, None, 0, confidence)
    mean = float(data.mean())
    if n == 1:
        return Interval(mean, None, 1, confidence)
    sem = float(data.std(ddof=1)) / math.sqrt(n)
    return Interval(mean, t_quantile(n, confidence) * sem, n, confidence)


@dataclass(frozen=True)
class Difference:
    """B − A over seeds both ran: its interval, and whether it excludes zero."""

    key: str
    a: Interval
    b: Interval
    diff: Interval

    @property
    def significant(self) -> bool:
        low, high = self.diff.low, self.diff.high
        return self.diff.half_width is not None and low is not None and high is not None and (
            low > 0 or high < 0)


def paired(key: str, a: Sequence[float | None], b: Sequence[float | None],
           confidence: float = CONFIDENCE) -> Difference:
    """Compare A and B replication by replication (same seeds): the interval of the mean of
    ``b[i] - a[i]`` over the seeds where both have a value."""
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    diff = interval([y - x for x, y in pairs], confidence)
    return Difference(key, interval(a, confidence), interval(b, confidence), diff)


__all__ = ["CONFIDENCE", "Difference", "Interval", "flatten", "interval", "lookup", "paired",
           "t_quantile"]
