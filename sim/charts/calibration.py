"""The calibration lab's chart: a real Celery worker next to the simulator, load by load.

Built from the numbers ``python -m sim calibrate`` writes to ``calibration.json``: for each ack
mode and load, the real mean queue wait and p95 task latency beside the plain simulation, the
simulation with the fitted overheads, and (for the wait) the Erlang C formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from sim.charts.base import BLACK, GREY, new_figure, style
from sim.charts.palette import DARK_GREEN, ORANGE

SERIES = (("real", "real Celery worker", BLACK), ("plain", "simulated, no overheads", GREY),
          ("fitted", "simulated, fitted overheads", DARK_GREEN))  # not a run colour


def calibration_figure(record: dict[str, Any]) -> go.Figure:
    """Two panels (mean queue wait, p95 task latency), grouped by ack mode and load."""
    cells = record["cells"]
    labels = [f"ρ {c['rho']:.2f}<br>{'acks_late' if c['acks_late'] else 'early ack'}"
              for c in cells]
    fig = new_figure(rows=1, cols=2, subplot_titles=("mean queue wait (ms)",
                                                     "p95 task latency (ms)"))
    for key, name, color in SERIES:
        for col, metric in ((1, "mean_wait_s"), (2, "p95_latency_s")):
            fig.add_trace(go.Bar(
                x=labels, y=[c[metric][key] * 1000 for c in cells], name=name,
                marker_color=color, legendgroup=key, showlegend=col == 1,
                hovertemplate=f"{name}: %{{y:.1f}} ms<extra></extra>"), row=1, col=col)
    fig.add_trace(go.Scatter(
        x=labels, y=[None if c["erlang_c_wait_s"] is None else c["erlang_c_wait_s"] * 1000
                     for c in cells],
        name="Erlang C (no overheads)", mode="markers",
        marker={"symbol": "diamond", "size": 11, "color": ORANGE},
        hovertemplate="Erlang C: %{y:.1f} ms<extra></extra>"), row=1, col=1)
    fig.update_layout(barmode="group")
    return style(fig, "Real Redis + Celery worker vs the simulator, on the same traces", "",
                 "", height=480)


def write_figure(fig: go.Figure, path: Path) -> Path:
    """A self-contained HTML file (needs no browser to write)."""
    fig.write_html(path, include_plotlyjs=True, full_html=True, config={"displaylogo": False})
    return path
