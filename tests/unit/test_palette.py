"""The one colour language: sync vermillion and async blue on every chart and export, states
that stay apart under simulated colour-vision deficiencies, shapes that back colour up."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.charts import figures_for
from sim.charts.animation_segments import STATE_LABELS
from sim.charts.export import figure_html
from sim.charts.palette import (
    ASYNC,
    MACHADO,
    MIN_DELTA_E,
    MODE_SHADES,
    NEUTRALS,
    PARTITION_REST,
    PARTITION_STYLES,
    RUN_COLORS,
    SEGMENT_STYLES,
    STATES,
    SYNC,
    delta_e,
    min_separation,
    mode_of,
    results_colors,
    separation,
    simulate_lab,
)
from sim.runner import compare
from sim.scenario import apply_overrides, load_scenario


def test_simulation_keeps_greys_and_delta_e_matches_the_reference() -> None:
    for grey in ("#000000", "#777777", "#FFFFFF"):
        normal = simulate_lab(grey)
        for vision in MACHADO:
            assert np.allclose(simulate_lab(grey, vision), normal, atol=0.6), vision
    # Sharma, Wu & Dalal (2005), CIEDE2000 test data, pair 1
    assert delta_e(np.array([50, 2.6772, -79.7751]), np.array([50, 0, -82.7485])) == \
        pytest.approx(2.0425, abs=1e-4)
    # the pair the issue saw turn grey: Okabe-Ito reddish purple and bluish green
    assert separation("#CC79A7", "#009E73")[0] < MIN_DELTA_E


def test_states_that_share_a_shape_stay_apart_under_every_colour_vision() -> None:
    distance, vision, a, b = min_separation(STATES)
    assert distance >= MIN_DELTA_E, f"{a} and {b} are only {distance:.1f} apart ({vision})"
    shapes = {(color, symbol) for _w, color, symbol in STATES}
    assert len(shapes) == len(STATES), "two states look exactly alike"
    assert [words for words, *_ in STATES] == list(STATE_LABELS)


def test_journey_segments_that_share_a_pattern_stay_apart() -> None:
    styles = [(kind, color, pattern) for kind, (color, pattern) in SEGMENT_STYLES.items()
              if "+ publish" not in kind]  # the same thing as "handler", drawn when unsplit
    distance, vision, a, b = min_separation(styles)
    assert distance >= MIN_DELTA_E, f"{a} and {b} are only {distance:.1f} apart ({vision})"


def test_run_shades_stay_apart_and_keep_their_roles() -> None:
    for a, b in itertools.combinations(RUN_COLORS, 2):
        assert separation(a, b)[0] >= 15, (a, b)
    state_colors = {color for _w, color, _s in STATES} | {c for c, _p in SEGMENT_STYLES.values()}
    assert not state_colors & set(RUN_COLORS), "sync/async hues mean nothing else"
    partitions = {c for c, _d in PARTITION_STYLES} | {PARTITION_REST}
    assert not (partitions - NEUTRALS) & (state_colors | set(RUN_COLORS))
    assert len(set(PARTITION_STYLES)) == len(PARTITION_STYLES)


def test_run_colours_follow_the_design_not_the_position() -> None:
    assert mode_of("A: sync, prefetch 1") == "sync" and mode_of("fixed back-off") is None
    assert mode_of("async: task latency") == "async"

    class Run:
        def __init__(self, mode: str) -> None:
            self.mode = mode

    colors = results_colors({"A: async": Run("async"), "B: sync": Run("sync"),
                             "C": Run("async")})
    assert colors == {"A: async": ASYNC, "B: sync": SYNC, "C": MODE_SHADES["async"][1]}


@pytest.fixture(scope="module")
def ab_runs() -> dict:
    """Compare's labels (A sync, B async), and a busy enough run to have every chart."""
    scenario = apply_overrides(load_scenario("retry_storm"), {"duration": 30})
    runs = compare(scenario)
    return {"B: async": runs["async"], "A: sync": runs["sync"]}


def trace_colors(trace) -> set[str]:
    found = set()
    for part in ("line", "marker"):
        color = getattr(getattr(trace, part, None), "color", None)
        if isinstance(color, str):
            found.add(color)
        elif isinstance(color, (list, tuple)):
            found |= {c for c in color if isinstance(c, str)}
    return found


def test_every_chart_and_export_draws_sync_vermillion_and_async_blue(ab_runs: dict) -> None:
    figures = figures_for(ab_runs)
    assert len(figures) >= 8
    for name, fig in figures.items():
        for trace in fig.data:
            label = next((lb for lb in ab_runs if (trace.name or "").startswith(lb)
                          or trace.legendgroup == lb), None)
            if label is None or name.startswith("journey_"):
                continue
            want = SYNC if mode_of(label) == "sync" else ASYNC
            assert trace_colors(trace) == {want}, (name, trace.name, trace_colors(trace))
        other = {SYNC, ASYNC} - {c for t in fig.data for c in trace_colors(t)}
        if name in ("response_time_ecdf", "throughput", "busy"):
            assert not other, f"{name}: both designs are drawn in their colours"
    html = figure_html(figures["response_time_ecdf"])
    assert SYNC in html and ASYNC in html


def test_sync_and_async_hues_mean_nothing_else() -> None:
    """Lines of services, the breaker's band, the planner's verdicts and the calibration fit are
    not runs of a design: they never take vermillion or blue (whatever shade)."""
    import pandas as pd

    from sim.charts.calibration import calibration_figure
    from sim.charts.experiment import plan_figure
    from sim.charts.services import SERVICE_COLORS

    run_hues = set(RUN_COLORS)
    assert not run_hues & set(SERVICE_COLORS)
    fanout = load_scenario("signup_fanout", {"duration": 30})
    storm = load_scenario("metastable_retry_storm", {"duration": 40,
                                                     "circuit_breaker.enabled": True})
    for scenario in (fanout, storm):
        figures = figures_for({"async": compare(scenario)["async"]})
        for name in ("service_queues", "service_latency", "breaker"):
            fig = figures.get(name)
            if fig is None:
                continue
            for trace in fig.data:
                if trace.type == "bar" and name == "service_latency":
                    colours = set(trace.marker.color)
                else:
                    colours = trace_colors(trace) | {trace.fillcolor} - {None}
                assert not colours & run_hues, (name, trace.name, colours)
    points = pd.DataFrame({"value": [1, 2], "meets": [False, True], "order": [1, 2],
                           "w mean": [3.0, 1.0], "w ci_high": [3.5, 1.2],
                           "w ci_low": [2.5, 0.8]})
    plan = plan_figure(points, "workers.count", {"w": 2.0}, 2)
    assert not {c for t in plan.data for c in trace_colors(t)} & run_hues
    cells = [{"rho": 0.5, "acks_late": False, "erlang_c_wait_s": 0.01,
              "mean_wait_s": {"real": 0.01, "plain": 0.01, "fitted": 0.01},
              "p95_latency_s": {"real": 0.1, "plain": 0.1, "fitted": 0.1}}]
    calib = calibration_figure({"cells": cells})
    assert not {c for t in calib.data for c in trace_colors(t)} & run_hues
