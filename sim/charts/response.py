"""What the user feels: the response-time distribution, p95 over time, and throughput."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim.charts.base import (
    GREY,
    MAX_POINTS,
    Results,
    bin_width,
    binned,
    color_for,
    end_time,
    line,
    new_figure,
    shade_faults,
    style,
)
from sim.metrics import response_times


def response_time_ecdf(results: Results) -> go.Figure:
    """Share of requests answered within x seconds, with p50/p95/p99 marked."""
    fig = new_figure()
    positive = []
    marks = {"p50": "circle", "p95": "diamond", "p99": "square"}
    for i, (label, result) in enumerate(results.items()):
        rt = response_times(result.requests, result.scenario.warmup)
        if rt.size == 0:
            continue
        color = color_for(label, i, results)
        probs = np.linspace(0, 1, min(rt.size, MAX_POINTS))
        fig.add_trace(line(np.quantile(rt, probs), probs * 100, label, color,
                           legendgroup=label, hovertemplate="%{x:.3f} s<extra></extra>"))
        positive.append(float(rt.min()) > 0)
        stats = result.summary["response_time_s"]
        for key, symbol in marks.items():
            if stats.get(key) is None:
                continue
            fig.add_trace(go.Scatter(
                x=[stats[key]], y=[int(key[1:])], mode="markers+text", legendgroup=label,
                marker={"symbol": symbol, "size": 11, "color": color, "line": {"width": 1}},
                text=[f"{key} {stats[key]:.3g} s" if key == "p95" else key],
                textposition="middle left" if key == "p95" else "middle right",
                textfont={"color": color}, showlegend=False,
                hovertemplate=f"{label} {key}: %{{x:.3f}} s<extra></extra>"))
    log = bool(positive) and all(positive)
    style(fig, "Response time: share of requests answered within x",
          "response time (s, log scale)" if log else "response time (s)",
          "requests answered (%)")
    if log:
        fig.update_xaxes(type="log")
    fig.update_layout(hovermode="closest")
    return fig


def response_time_over_time(results: Results) -> go.Figure:
    """p95 response time of the requests arriving in each time window."""
    fig, width = new_figure(), bin_width(results)
    for i, (label, result) in enumerate(results.items()):
        req = result.requests[result.requests["outcome"].isin(["completed", "failed"])]
        p95 = binned(req["arrival"].to_numpy(), (req["end"] - req["arrival"]).to_numpy(),
                     width, "p95")
        fig.add_trace(line(p95.index, p95.to_numpy(), label, color_for(label, i, results)))
    style(fig, f"p95 response time over time ({width:.3g}-s windows, by arrival)",
          "simulated time (s)", "p95 response time (s)")
    return shade_faults(fig, results)


def throughput_over_time(results: Results) -> go.Figure:
    """Responses per second (and, where any, failed responses), next to the arrival rate."""
    fig, width = new_figure(), bin_width(results)
    first = next(iter(results.values()), None)
    if first is not None:
        req = first.requests
        fresh = req[~req["client_retry"]] if "client_retry" in req else req
        arrivals = binned(fresh["arrival"].to_numpy(), np.ones(len(fresh)), width, "rate",
                          first.scenario.duration)
        fig.add_trace(line(arrivals.index, arrivals.to_numpy(), "new requests arriving", GREY,
                           "dot"))
    for i, (label, result) in enumerate(results.items()):
        req, color, until = result.requests, color_for(label, i, results), end_time(result)
        done = req[req["outcome"] == "completed"]
        rate = binned(done["end"].to_numpy(), np.ones(len(done)), width, "rate", until)
        fig.add_trace(line(rate.index, rate.to_numpy(), label, color))
        bad = req[req["outcome"].isin(["failed", "timed_out"])]
        if len(bad):
            gave_up = bad["arrival"] + (result.scenario.web.timeout or np.inf)
            ends = np.where(bad["outcome"] == "timed_out",
                            np.fmin(bad["end"].to_numpy(), gave_up.to_numpy()),
                            bad["end"].to_numpy())
            ends = ends[np.isfinite(ends)]
            errors = binned(ends, np.ones(len(ends)), width, "rate", until)
            fig.add_trace(line(errors.index, errors.to_numpy(),
                               f"{label}: errors and time-outs", color, "dot"))
    style(fig, f"Throughput: responses per second ({width:.3g}-s windows)",
          "simulated time (s)", "responses per second")
    return shade_faults(fig, results)
