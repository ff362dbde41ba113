"""Theory next to the simulation: the M/M/c (or M/G/c) mean wait beside the simulated one,
where a formula applies, and the load sweep (p95 time against the arrival rate)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from sim import capacity
from sim.charts.base import BLACK, GREY, Results, color_for, new_figure, style
from sim.runner import Result

NOTE = "#555555"


def theory_prediction(result: Result) -> dict[str, Any]:
    """The queueing-theory prediction for a run (see :func:`sim.capacity.theory_prediction`)."""
    return capacity.theory_prediction(result.scenario, result.mode)


def theory_figure(results: Results) -> go.Figure:
    """Simulated mean queue wait next to the M/M/c (or M/G/c) prediction."""
    fig = new_figure()
    labels = list(results)
    sim_waits = [results[k].summary["queue_wait_s"].get("mean") for k in labels]
    preds = [theory_prediction(results[k]) for k in labels]
    fig.add_trace(go.Bar(x=labels, y=sim_waits, name="simulated mean wait",
                         marker_color=[color_for(k, i, results) for i, k in enumerate(labels)],
                         text=[f"{w:.3g} s" if w is not None else "–" for w in sim_waits],
                         textposition="outside"))
    fig.add_trace(go.Bar(x=labels, y=[p["wq"] for p in preds], name="queueing theory",
                         marker={"color": "white", "line": {"color": BLACK, "width": 2},
                                 "pattern": {"shape": "/", "fgcolor": GREY}},
                         text=[f"{p['wq']:.3g} s" if p["wq"] is not None else ""
                               for p in preds], textposition="outside"))
    notes = [f"{k}<br><span style='color:{NOTE}'>theory: {p['note']}</span>"
             for k, p in zip(labels, preds, strict=True)]
    fig.update_xaxes(tickmode="array", tickvals=labels, ticktext=notes)
    style(fig, "Queue wait: simulation vs theory (sync: wait for a thread; async: for a worker)",
          "", "mean wait (s)")
    fig.update_layout(barmode="group", hovermode="closest")
    top = max([v for v in sim_waits + [p["wq"] for p in preds] if v is not None] or [1.0])
    fig.update_yaxes(range=[0, top * 1.35 or 1.0])
    return fig


def load_sweep_figure(points: pd.DataFrame) -> go.Figure:
    """p95 time against arrival rate per series (columns label, rate, p95, overloaded)."""
    fig = new_figure()
    for i, (label, part) in enumerate(points.groupby("label", sort=False)):
        color = color_for(str(label), i)
        fig.add_trace(go.Scatter(
            x=part["rate"], y=part["p95"], name=str(label), mode="lines+markers",
            line={"color": color, "width": 2.5, "dash": "dash" if "task" in str(label) else None},
            marker={"size": 9, "color": color,
                    "symbol": ["x" if o else "circle" for o in part["overloaded"]]}))
    if points["overloaded"].any():
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="overloaded (stopped)",
                                 marker={"symbol": "x", "size": 9, "color": GREY}))
    style(fig, "Load sweep: p95 time as traffic grows (the hockey stick)",
          "arrival rate (requests/s)", "p95 time (s, log scale)")
    fig.update_yaxes(type="log")
    fig.update_layout(hovermode="closest")
    return fig
