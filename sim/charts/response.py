"""What the user feels: the response-time distribution over every user, the user wait and the
share who gave up over time, and throughput.

Nobody is left out: a user who timed out, got an error or was still waiting at the end counts
in the ECDF's denominator (the curve levels off at the answered share) and in the over-time
user wait (until they gave up), so the lines do not flatter a design that drops people."""

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
from sim.metrics import gave_up, user_wait_of
from sim.outcomes import answered_curve

MARKS = {"p50": "circle", "p95": "diamond", "p99": "square"}


def pct(share: float) -> str:
    """A share as a whole percentage, written the way the app writes it: '88 %'."""
    return f"{share:.0%}".replace("%", " %")


def not_reached(key: str, share: float) -> str:
    """Words for a percentile the curve never reaches, e.g. 'p95 not reached: 88 % gave up'."""
    return f"{key} not reached: {pct(1 - share)} gave up"


def response_time_ecdf(results: Results) -> go.Figure:
    """Share of all users who got a successful answer within x seconds (every request that
    arrived counts, so the curve stops at the answered share), with p50/p95/p99 marked or said
    to be out of reach, and the share that gave up marked."""
    fig = new_figure()
    positive, notes = [], []
    for i, (label, result) in enumerate(results.items()):
        curve = answered_curve(result)
        times, share, color = curve["times"], curve["share"], color_for(label, i, results)
        if curve["arrived"] == 0:
            continue
        if times.size:
            probs = np.linspace(0, 1, min(times.size, MAX_POINTS))
            fig.add_trace(line(np.quantile(times, probs), probs * share * 100, label, color,
                               legendgroup=label, hovertemplate="%{x:.3f} s: %{y:.1f} % of "
                               "users answered<extra></extra>"))
            positive.append(float(times.min()) > 0)
        if share < 1:  # the curve levels off here: the rest gave up
            fig.add_hline(y=share * 100, line={"color": color, "dash": "dot", "width": 1.5})
            said = (not_reached("p95", share) if curve["marks"]["p95"] is None
                    else f"{pct(1 - share)} gave up")
            notes.append(f"<span style='color:{color}'>{label}: {said} (an error, a time-out "
                         f"or still waiting at the end)</span>")
        for key, symbol in MARKS.items():
            value = curve["marks"][key]
            if value is None:
                continue
            fig.add_trace(go.Scatter(
                x=[value], y=[int(key[1:])], mode="markers+text", legendgroup=label,
                marker={"symbol": symbol, "size": 11, "color": color, "line": {"width": 1}},
                text=[f"{key} {value:.3g} s" if key == "p95" else key],
                textposition="middle left" if key == "p95" else "middle right",
                textfont={"color": color}, showlegend=False,
                hovertemplate=f"{label} {key}: {key[1:]} % of all users were answered within "
                              f"%{{x:.3f}} s<extra></extra>"))
    log = bool(positive) and all(positive)
    style(fig, "Response time: share of all users answered within x",
          "response time (s, log scale)" if log else "response time (s)",
          "users answered (% of all who arrived)")
    if log:
        fig.update_xaxes(type="log")
    fig.update_yaxes(range=[0, 104])
    if notes:
        fig.add_annotation(text="<br>".join(notes), xref="paper", yref="paper", x=0.01, y=0.97,
                           xanchor="left", yanchor="top", showarrow=False, align="left",
                           font={"size": 12}, bgcolor="rgba(255,255,255,0.8)")
    fig.update_layout(hovermode="closest")
    return fig


def response_time_over_time(results: Results) -> go.Figure:
    """By arrival window: the p95 user wait (everyone, including those who gave up) and the
    share of users who gave up, so the line goes on when the system collapses."""
    fig, width = new_figure(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                            row_heights=[0.62, 0.38]), bin_width(results)
    for i, (label, result) in enumerate(results.items()):
        req, color = result.requests, color_for(label, i, results)
        if req.empty:
            continue
        waits = user_wait_of(req, end_time(result), result.scenario.web.timeout)
        arrival = req["arrival"].to_numpy()
        p95 = binned(arrival, waits, width, "p95")
        fig.add_trace(line(p95.index, p95.to_numpy(), label, color, legendgroup=label,
                           hovertemplate="%{y:.3f} s<extra>" + label + "</extra>"), row=1, col=1)
        gone = binned(arrival, gave_up(req).to_numpy(dtype=float), width, "mean") * 100
        fig.add_trace(line(gone.index, gone.to_numpy(), f"{label}: gave up", color, "dot",
                           legendgroup=label, showlegend=False,
                           hovertemplate="%{y:.0f} % gave up<extra>" + label + "</extra>"),
                      row=2, col=1)
    style(fig, f"What users waited, by arrival ({width:.3g}-s windows): p95 user wait and "
          f"share who gave up", "simulated time (s)", "")
    fig.update_yaxes(title_text="p95 user wait (s)", row=1, col=1)
    fig.update_yaxes(title_text="gave up (%)", range=[0, 104], row=2, col=1)
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
