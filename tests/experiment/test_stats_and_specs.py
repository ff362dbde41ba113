"""Confidence intervals, paired comparisons and the text specs of experiments."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from sim.experiment.spec import parse_range, parse_slo, parse_varies, parse_vary
from sim.experiment.stats import flatten, interval, lookup, paired
from sim.scenario import ScenarioError


def test_interval_is_student_t_computed_by_hand() -> None:
    values = [1.0, 2.0, 4.0, 7.0]
    mean = 3.5
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / 3)
    expected = scipy_stats.t.ppf(0.975, 3) * s / 2  # t(0.975, 3) · s / √4
    ci = interval(values)
    assert ci.mean == mean and ci.half_width == pytest.approx(expected, rel=1e-12)
    assert ci.low == pytest.approx(mean - expected) and ci.n == 4


def test_interval_of_one_value_has_unknown_width_and_missing_values_are_left_out() -> None:
    assert interval([2.0]).half_width is None and interval([2.0]).mean == 2.0
    assert interval([None, 3.0, float("nan"), 5.0]).n == 2
    assert interval([]).mean is None


def test_paired_difference_sees_what_two_noisy_samples_hide() -> None:
    a = [10.0, 20.0, 30.0, 40.0, 50.0]
    b = [v + 1.0 + 0.01 * i for i, v in enumerate(a)]  # B always a little higher, same seeds
    diff = paired("x", a, b)
    assert diff.significant and diff.diff.mean == pytest.approx(1.02)
    assert diff.a.low < diff.b.mean < diff.a.high  # the separate intervals overlap
    assert not paired("x", a, a).significant


def test_flatten_and_lookup() -> None:
    summary = {"mode": "async", "response_time_s": {"p95": 1.5, "max": None},
               "run": {"overloaded": True}, "warnings": ["x"], "tasks": {"by": {"a": 2}},
               "utilization": {"per_worker": [0.1]}, "throughput_rps": 3}
    assert flatten(summary) == {"response_time_s.p95": 1.5, "response_time_s.max": None,
                                "run.overloaded": 1.0, "tasks.by.a": 2.0,
                                "throughput_rps": 3.0}
    assert lookup(summary, "response_time_s.p95") == 1.5
    with pytest.raises(KeyError):
        lookup(summary, "response_time_s.p97")


@pytest.mark.parametrize(("spec", "expected"), [
    ("arrivals.rate=5:60:12", ("arrivals.rate", [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55,
                                                 60])),
    ("workers.count=1,2,4,8", ("workers.count", [1, 2, 4, 8])),
    ("task.service.mean=0.5:1:3", ("task.service.mean", [0.5, 0.75, 1.0])),
    ("broker.kind=rabbitmq,redis", ("broker.kind", ["rabbitmq", "redis"])),
    ("workers.count=3", ("workers.count", [3])),
])
def test_vary_specs(spec: str, expected: tuple) -> None:
    assert parse_vary(spec) == expected


@pytest.mark.parametrize("spec", ["arrivals.rate", "=1,2", "arrivals.rate=", "x=1:2",
                                  "x=1:2:0", "x=1:2:2.5", "x=a:2:3", "x=1:2:3:4",
                                  "x=1:inf:3", "x=[1,2]"])
def test_bad_vary_specs_are_one_line_errors(spec: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_vary(spec)
    assert "\n" not in str(err.value) and str(err.value).startswith("--vary")


def test_slo_range_and_duplicate_keys() -> None:
    assert parse_slo("user_wait_s.p95=2") == ("user_wait_s.p95", 2.0)
    assert parse_range("1:64") == (1, 64)
    for bad in ("64:1", "1", "a:b"):
        with pytest.raises(ScenarioError, match="--range"):
            parse_range(bad)
    with pytest.raises(ScenarioError, match="--slo"):
        parse_slo("x.p95=fast")
    with pytest.raises(ScenarioError, match="given twice"):
        parse_varies(["workers.count=1,2", "workers.count=3"])
