"""The previous run on the same chart: its lines drawn faded and dotted behind the current
ones ("sync (before)"), so a learner sees what a knob change did — cause and effect."""

from __future__ import annotations

import plotly.graph_objects as go

from sim.charts.palette import BEFORE_OPACITY

SUFFIX = " (before)"


def with_before(fig: go.Figure, before: go.Figure | None, what: str = "before") -> go.Figure:
    """A copy of ``fig`` with the line traces of ``before`` (the same chart of the reference
    runs) underneath, faded and dotted, named "<label> (before)"; markers and labels of the
    reference are left out so the current run stays the one that speaks."""
    if before is None:
        return fig
    old = []
    for trace in before.data:
        if trace.type != "scatter" or "lines" not in (trace.mode or "") or not trace.name:
            continue
        copy = go.Scatter(trace)
        copy.update(name=f"{trace.name} ({what})", opacity=BEFORE_OPACITY,
                    line={"dash": "dot"}, legendgroup=f"{what}:{trace.name}", showlegend=True,
                    hoverinfo="skip", hovertemplate=None)
        old.append(copy)
    return go.Figure(data=[*old, *fig.data], layout=fig.layout)
