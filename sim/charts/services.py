"""Per-service charts of a fan-out run: work waiting in each service's queue (Kafka: its
consumer group's lag) over time, and each service's task latency over time with its p95.

A service keeps one colour on every chart (its place in ``services``); when several runs are
drawn, each run has its own line style. Both charts are None for runs without services.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim.charts.base import (
    Results,
    bin_width,
    binned,
    line,
    new_figure,
    resample,
    shade_faults,
    style,
)
from sim.charts.palette import BLACK, BROWN, DARK_GREEN, DARK_GREY, ORANGE, PINK, SKY, VIOLET
from sim.runner import Result

# never vermillion or blue: those two say sync and async everywhere (see sim.charts.palette)
SERVICE_COLORS = (ORANGE, SKY, DARK_GREEN, PINK, BROWN, VIOLET, BLACK, DARK_GREY)
RUN_DASHES = ("solid", "dot", "dash", "dashdot")
PATTERNS = ("", "/", "x", ".")


def service_color(index: int) -> str:
    """The colour of the service at ``index`` in the scenario's ``services``."""
    return SERVICE_COLORS[index % len(SERVICE_COLORS)]


def _with_services(results: Results, async_only: bool = False) -> dict[str, Result]:
    return {label: r for label, r in results.items() if r.scenario.services
            and (r.mode == "async" or not async_only)}


def _name(service: str, label: str, many: bool) -> str:
    return f"{service} ({label})" if many else service


def waiting(result: Result, service: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(time, messages waiting) of one service: its queue, or its group's lag on Kafka."""
    ts = result.timeseries
    start = f"svc.{service}."
    lags = [c for c in ts.columns if c.startswith(f"{start}lag_p") and c.endswith("_mean")]
    columns = lags or [f"{start}queue_depth_mean"]
    if "time" not in ts or not all(c in ts for c in columns):
        return None
    frame = ts[["time"]].assign(v=ts[columns].sum(axis=1))
    frame = resample(frame)
    return frame["time"].to_numpy(), frame["v"].to_numpy()


def service_queues(results: Results) -> go.Figure | None:
    """Messages waiting for each service over time (async runs with services)."""
    runs = _with_services(results, async_only=True)
    if not runs:
        return None
    fig, many = new_figure(), len(runs) > 1
    kafka = any(r.scenario.broker.kind == "kafka" for r in runs.values())
    for k, (label, result) in enumerate(runs.items()):
        for i, service in enumerate(result.scenario.service_names()):
            data = waiting(result, service)
            if data is not None:
                fig.add_trace(line(*data, _name(service, label, many), service_color(i),
                                   RUN_DASHES[k % len(RUN_DASHES)], legendgroup=service))
    what = "consumer lag of each group" if kafka else "each service's queue"
    style(fig, f"Messages waiting per service: {what}", "simulated time (s)",
          "messages waiting (mean in each window)")
    return shade_faults(fig, results)


def service_latency(results: Results) -> go.Figure | None:
    """p95 task latency per service of the requests arriving in each time window (left) and
    over the whole run (right)."""
    runs = _with_services(results)
    if not runs:
        return None
    fig = new_figure(rows=1, cols=2, column_widths=[0.72, 0.28], horizontal_spacing=0.08)
    many, width = len(runs) > 1, bin_width(runs)
    for k, (label, result) in enumerate(runs.items()):
        arrival = result.requests["arrival"].to_numpy()
        ok = result.tasks[result.tasks["state"] == "succeeded"]
        names, p95s, colors = [], [], []
        for i, service in enumerate(result.scenario.service_names()):
            rows = ok[ok["service"] == service]
            at = arrival[rows["request_id"].to_numpy()]
            latency = rows["finished"].to_numpy() - at
            if latency.size:
                stat = binned(at, latency, width, "p95")
                fig.add_trace(line(stat.index.to_numpy(), stat.to_numpy(),
                                   _name(service, label, many), service_color(i),
                                   RUN_DASHES[k % len(RUN_DASHES)], legendgroup=service),
                              row=1, col=1)
            p95 = result.summary.get("services", {}).get(service, {}).get(
                "task_latency_s", {}).get("p95")
            names.append(service)
            p95s.append(p95 or 0.0)
            colors.append(service_color(i))
        fig.add_trace(go.Bar(
            x=names, y=p95s, marker_color=colors, name=label, showlegend=False,
            text=[f"{v:,.0f} s" if v >= 10 else f"{v:.2g} s" for v in p95s],
            textposition="outside", cliponaxis=False,
            marker_pattern_shape=PATTERNS[k % len(PATTERNS)],
            hovertemplate=f"{label}, %{{x}}: p95 %{{y:.3f}} s<extra></extra>"), row=1, col=2)
    bars = ", ".join(f"{label} {('plain', 'hatched', 'crossed', 'dotted')[k % 4]}"
                     for k, label in enumerate(runs)) if many else ""
    style(fig, "Task latency per service (request arrival → task done)", "", "")
    if bars:
        fig.update_xaxes(title_text=f"bars: {bars}", row=1, col=2)
    fig.update_xaxes(title_text="request arrival time (s)", row=1, col=1)
    fig.update_yaxes(title_text="p95 task latency (s)", row=1, col=1)
    fig.update_yaxes(title_text="p95, whole run (s)", row=1, col=2)
    fig.update_yaxes(type="log", rangemode="normal")  # seconds and minutes on one chart
    fig.update_layout(hovermode="closest", barmode="group")
    return shade_faults(fig, results)


__all__ = ["SERVICE_COLORS", "service_color", "service_latency", "service_queues", "waiting"]
