"""Resilience over time: goodput against the offered load, retry amplification, and the circuit
breaker's state as a band. Fault windows are shaded. The figures come from
``sim.resilience.over_time`` (windows of a few seconds) and the breaker's recorded levels."""

from __future__ import annotations

import plotly.graph_objects as go

from sim.charts.base import (
    GREY,
    Results,
    color_for,
    end_time,
    line,
    new_figure,
    series,
    shade_faults,
    style,
)
from sim.charts.palette import ORANGE, VIOLET
from sim.resilience import WINDOW_S, over_time


def _width(results: Results) -> float:
    """Windows of WINDOW_S seconds, wider for long runs (at most ~300 windows)."""
    longest = max(end_time(r) for r in results.values())
    return max(WINDOW_S, longest / 300)


def goodput(results: Results) -> go.Figure:
    """Useful answers per second next to the load offered to the system (new requests and
    users' resends): a metastable failure is goodput that stays low after the fault."""
    fig, width = new_figure(), _width(results)
    first = next(iter(results.values()), None)
    if first is not None:
        frame = over_time(first, width)
        fig.add_trace(line(frame["time"], frame["arrivals"], "new requests arriving", GREY,
                           "dot"))
    for i, (label, result) in enumerate(results.items()):
        frame, color = over_time(result, width), color_for(label, i, results)
        what = "requests answered OK" if result.mode == "sync" else "tasks done"
        fig.add_trace(line(frame["time"], frame["goodput"], f"{label}: goodput ({what})", color))
        if result.requests["client_retry"].any():
            fig.add_trace(line(frame["time"], frame["offered"],
                               f"{label}: offered load (with users' resends)", color, "dash"))
    style(fig, f"Goodput vs offered load ({width:.3g}-s windows)", "simulated time (s)",
          "per second")
    return shade_faults(fig, results)


def amplification(results: Results) -> go.Figure:
    """Downstream calls per first attempt in each window: 1× is one call per task; retries
    push it up, an open circuit breaker takes it below 1."""
    fig, width = new_figure(), _width(results)
    for i, (label, result) in enumerate(results.items()):
        frame = over_time(result, width)
        frame = frame[frame["amplification"].notna()]  # windows without a first attempt
        fig.add_trace(line(frame["time"], frame["amplification"], label,
                           color_for(label, i, results),
                           hovertemplate="%{y:.2f}× calls per first attempt<extra></extra>"))
    fig.add_hline(y=1, line_dash="dot", line_color=GREY, line_width=1.5,
                  annotation_text="1× = no retries", annotation_position="top right")
    style(fig, f"Retry amplification: downstream calls / first attempts ({width:.3g}-s "
          "windows)", "simulated time (s)", "calls per first attempt")
    return shade_faults(fig, results)


def breaker_state(results: Results) -> go.Figure | None:
    """The circuit breaker's state over time, one band per run with a breaker: the share of
    each window it was open (calls fail fast) or half-open (trial calls); None without one."""
    runs = {label: r for label, r in results.items() if "breaker_open_mean" in r.timeseries}
    if not runs:
        return None
    fig = new_figure(rows=len(runs), cols=1, shared_xaxes=True, vertical_spacing=0.12)
    for row, (label, result) in enumerate(runs.items(), start=1):
        for column, name, color in (("breaker_open_mean", "open: calls fail fast", VIOLET),
                                    ("breaker_half_open_mean", "half-open: trial calls",
                                     ORANGE)):
            data = series(result, column)
            if data is None:
                continue
            fig.add_trace(go.Scatter(
                x=data[0], y=data[1], name=name, mode="lines", stackgroup=f"run{row}",
                line={"color": color, "width": 0.5, "shape": "hv"}, fillcolor=color,
                legendgroup=name, showlegend=row == 1,
                hovertemplate=f"{label}: {name.split(':')[0]} %{{y:.0%}} of the window"
                              "<extra></extra>"), row=row, col=1)
        cb = result.summary["circuit_breaker"]
        who = f"{label}<br>" if len(runs) > 1 else ""
        fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=row, col=1,
                         title_text=f"{who}opened {cb['opened']}×, {cb['time_open_s']:.0f} s")
    style(fig, "Circuit breaker state (closed where there is no band)", "simulated time (s)",
          "", height=200 + 170 * len(runs))
    return shade_faults(fig, results)


__all__ = ["amplification", "breaker_state", "goodput"]
