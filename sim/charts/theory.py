"""Theory next to the simulation: the M/M/c (or M/G/c) mean wait beside the simulated one,
where a formula applies (the load sweep is in ``sim.charts.experiment``)."""

from __future__ import annotations

import textwrap
from typing import Any

import plotly.graph_objects as go

from sim.charts.base import BLACK, GREY, Results, color_for, new_figure, style
from sim.prediction import theory_summary
from sim.runner import Result

NOTE = "#555555"


def theory_prediction(result: Result) -> dict[str, Any]:
    """The run's ``theory`` section (model, queue_wait_s, applies, note; see
    :mod:`sim.prediction`), computed from the scenario if the summary lacks it."""
    found = (result.summary or {}).get("theory")
    return found if found else theory_summary(result.scenario, result.mode)


def _wrap(text: str, width: int = 46) -> str:
    """Plotly does not wrap tick labels: break the note into lines of about ``width``."""
    return "<br>".join(textwrap.wrap(text, width))


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
    waits = [p["queue_wait_s"] for p in preds]
    fig.add_trace(go.Bar(x=labels, y=waits, name="queueing theory",
                         marker={"color": "white", "line": {"color": BLACK, "width": 2},
                                 "pattern": {"shape": "/", "fgcolor": GREY}},
                         text=[(f"{w:.3g} s" + ("" if p["applies"] else " (rough)"))
                               if w is not None else "no formula"
                               for w, p in zip(waits, preds, strict=True)],
                         textposition="outside"))
    notes = [f"{k}<br><span style='color:{NOTE}'>{_wrap('theory: ' + p['note'])}</span>"
             for k, p in zip(labels, preds, strict=True)]
    fig.update_xaxes(tickmode="array", tickvals=labels, ticktext=notes)
    lines = max(p["note"].count(" ") // 7 + 2 for p in preds) if preds else 2
    style(fig, "Queue wait: simulation vs theory (sync: wait for a thread; async: for a worker)",
          "", "mean wait (s)", height=400 + 16 * lines)
    fig.update_layout(barmode="group", hovermode="closest")
    top = max([v for v in sim_waits + waits if v is not None] or [1.0])
    fig.update_yaxes(range=[0, top * 1.35 or 1.0])
    return fig
