"""Plotly figures of one or more runs: the charts the app shows and the CLI exports.

Every builder is a pure function ``Results -> go.Figure`` (or None when it does not apply), where
``Results`` maps a series label ("sync", "async", "A: ...", "B: ...") to a
:class:`~sim.runner.Result`. Colours come from ``palette``: a sync run is vermillion and an async
run blue on every chart, page and export.

Modules: ``palette`` (the one colour language), ``base`` (look, resampling, fault shading),
``response`` (what users feel), ``levels`` (queues, Kafka lag, busy tiers, retries over time),
``tasks`` (task fates), ``journey`` (request Gantt), ``theory`` (formula vs simulation),
``experiment`` (sweeps, planner and replications, with confidence bands), ``services``
(per-service queues and task latency of a fan-out run), ``resilience`` (goodput, retry
amplification, breaker state).
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from sim.charts.base import (
    LIGHT,
    MAX_POINTS,
    SERIES_COLORS,
    TIME_BINS,
    Results,
    color_for,
    fault_windows,
    new_figure,
    resample,
    shade_faults,
    slug,
    style,
)
from sim.charts.journey import SEGMENTS, journey_figure, journey_segments, sample_requests
from sim.charts.levels import busy, consumer_lag, queue_depth, retries_over_time, worker_share
from sim.charts.palette import BLACK, BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILLION, YELLOW
from sim.charts.resilience import amplification, breaker_state, goodput
from sim.charts.response import response_time_ecdf, response_time_over_time, throughput_over_time
from sim.charts.services import SERVICE_COLORS, service_color, service_latency, service_queues
from sim.charts.tasks import FATES, fate_label, fates_figure, task_fates
from sim.charts.theory import theory_figure, theory_prediction

BUILDERS: dict[str, Callable[[Results], go.Figure | None]] = {
    "response_time_ecdf": response_time_ecdf, "response_time_over_time": response_time_over_time,
    "throughput": throughput_over_time, "queues": queue_depth, "consumer_lag": consumer_lag,
    "busy": busy, "worker_share": worker_share, "retries": retries_over_time,
    "task_fates": fates_figure, "theory": theory_figure,
    "service_queues": service_queues, "service_latency": service_latency,
    "goodput": goodput, "amplification": amplification, "breaker": breaker_state,
}


def figure_names(results: Results) -> list[str]:
    """Names of every chart of these runs (``journey_<label>`` once per series)."""
    return [*BUILDERS, *(f"journey_{slug(label)}" for label in results)]


def build_figure(name: str, results: Results) -> go.Figure | None:
    """One chart by name; None when it does not apply (e.g. consumer lag without Kafka)."""
    if name in BUILDERS:
        return BUILDERS[name](results)
    for i, (label, result) in enumerate(results.items()):
        if name == f"journey_{slug(label)}":
            return journey_figure(result, label, color_for(label, i, results))
    raise KeyError(f"no chart named {name!r}")


def figures_for(results: Results) -> dict[str, go.Figure]:
    """Every chart of a run or comparison, by file-friendly name (what the app and CLI show)."""
    figures = {name: build_figure(name, results) for name in figure_names(results)}
    return {name: fig for name, fig in figures.items() if fig is not None}


__all__ = [
    "BLACK", "BLUE", "BUILDERS", "FATES", "GREEN", "GREY", "LIGHT", "MAX_POINTS", "ORANGE",
    "PURPLE", "SEGMENTS", "SERIES_COLORS", "SERVICE_COLORS", "SKY", "TIME_BINS", "VERMILLION",
    "YELLOW", "Results",
    "build_figure", "busy", "color_for", "consumer_lag", "fate_label", "fates_figure",
    "fault_windows", "figure_names", "figures_for", "journey_figure", "journey_segments",
    "new_figure", "queue_depth", "resample", "response_time_ecdf",
    "response_time_over_time", "retries_over_time", "sample_requests", "service_color",
    "service_latency", "service_queues", "shade_faults", "style",
    "task_fates", "theory_figure", "theory_prediction", "throughput_over_time", "worker_share",
]
