"""Experiment charts from hand-built frames: bands, overload crosses, the planner's answer."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.charts.experiment import (
    ecdf_band_figure,
    kpi_bars_figure,
    plan_figure,
    sweep_figure,
    theory_sweep_figure,
)


def summary_frame() -> pd.DataFrame:
    rows = []
    for mode, scale in (("sync", 10.0), ("async", 1.0)):
        for rate, over in ((10, False), (40, True)):
            for metric in ("user_wait_s.p95", "queue_wait_s.mean"):
                mean = scale * rate / 10
                rows.append({"arrivals.rate": rate, "mode": mode, "overloaded": over,
                             "theory_queue_wait_s": None if over else mean * 0.9,
                             "metric": metric, "mean": mean, "half_width": 0.1 * mean,
                             "ci_low": 0.9 * mean, "ci_high": 1.1 * mean, "n": 5})
    return pd.DataFrame(rows)


def test_sweep_has_a_band_per_mode_and_crosses_for_overloaded_points() -> None:
    fig = sweep_figure(summary_frame(), "arrivals.rate")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    bands = [t for t in fig.data if t.fill == "toself"]
    assert [t.name for t in lines] == ["sync", "async"] and len(bands) == 2
    assert list(lines[0].marker.symbol) == ["circle", "x"]
    assert list(bands[0].y) == pytest.approx([11, 44, 36, 9])  # up the highs, down the lows
    assert fig.layout.yaxis.type == "log"


def test_theory_sweep_leaves_out_overloaded_points() -> None:
    fig = theory_sweep_figure(summary_frame(), "arrivals.rate")
    theory = [t for t in fig.data if t.name and t.name.endswith("theory")]
    assert len(theory) == 2 and all(list(t.x) == [10] for t in theory)


def test_plan_figure_marks_the_target_and_the_answer() -> None:
    points = pd.DataFrame({"value": [1, 2, 4], "meets": [False, True, True],
                           "k mean": [3.0, 1.0, 0.5], "k ci_low": [2.0, 0.8, 0.4],
                           "k ci_high": [4.0, 1.2, 0.6]})
    fig = plan_figure(points, "workers.count", {"k": 1.5}, 2)
    assert "smallest that meets: 2" in fig.layout.title.text
    assert list(fig.data[0].marker.symbol) == ["x", "circle", "circle"]
    assert {s.x0 for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1} == {2}


def test_plan_figure_keeps_the_target_line_off_the_edge_under_its_title() -> None:
    """A target far above every tried point (the usual case when the smallest setting already
    meets it) sits inside the axis with room above it, not on the top edge where its subplot
    title is written."""
    points = pd.DataFrame({"value": [1, 32], "meets": [True, True],
                           "k mean": [0.06, 0.06], "k ci_low": [0.05, 0.05],
                           "k ci_high": [0.07, 0.07]})
    fig = plan_figure(points, "workers.count", {"k": 2.0}, 1)
    low, high = fig.layout.yaxis.range
    assert low < math.log10(0.05) and high - math.log10(2.0) >= 0.1
    assert fig.layout.yaxis.dtick == "D2"


def test_ecdf_band_and_error_bars() -> None:
    shares = [0.0, 0.5, 1.0]
    fig = ecdf_band_figure({"async": [[0, 1, 2], [0, 2, 4]]}, shares)
    assert list(fig.data[-1].x) == [0.0, 1.5, 3.0] and fig.data[0].fill == "toself"
    table = pd.DataFrame({"label": ["A", "B"], "kpi": ["p95", "p95"], "mean": [1.0, 2.0],
                          "half_width": [0.1, None]})
    bars = kpi_bars_figure(table)
    assert list(bars.data[0].error_y.array) == [0.1, 0.0]
