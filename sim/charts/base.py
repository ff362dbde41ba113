"""What every chart shares: the colour-blind-safe palette, the light template, the common look,
resampling of long time series, time binning, and the shading of fault windows.

Colours come from :mod:`sim.charts.palette`: sync is vermillion and async blue on every chart.
Only SVG traces (go.Scatter, go.Bar) are used, never WebGL, and every trace has at most
~1,000 points, so the browser redraws quickly even without a GPU.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.charts.palette import (
    BLACK,
    BLUE,
    FAULT_FILL,
    FAULT_TEXT,
    GREY,
    INK,
    MODE_SHADES,
    VERMILLION,
    color_of,
    results_colors,
)
from sim.charts.titles import title_layout
from sim.runner import Result

SERIES_COLORS = {mode: shades[0] for mode, shades in MODE_SHADES.items()}
MAX_POINTS = 1000
TIME_BINS = 100
Results = Mapping[str, Result]
_AXIS = {"gridcolor": "#E5E8EE", "linecolor": "#B0B6C0", "zerolinecolor": "#C8CDD5",
         "ticks": "outside", "tickcolor": "#B0B6C0", "automargin": True}
LIGHT = {"layout": {  # a small template (plotly's built-in ones are slow to copy)
    "paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": INK},
    "colorway": [VERMILLION, BLUE, BLACK, GREY],
    "xaxis": _AXIS, "yaxis": _AXIS, "hoverlabel": {"font": {"size": 13}},
}}


def new_figure(**subplots: Any) -> go.Figure:
    """An empty figure with the light template (subplots when keyword arguments are given)."""
    fig = go.Figure(layout={"template": LIGHT})
    return make_subplots(figure=fig, **subplots) if subplots else fig


def color_for(label: str, index: int = 0, results: Results | None = None) -> str:
    """The colour of a series: vermillion for a sync run, blue for an async one (a second run
    of the same design in ``results`` gets a shade of its hue; see :mod:`sim.charts.palette`).
    """
    if results is not None and label in results:
        return results_colors(results)[label]
    return color_of(label, index)


def style(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 400) -> go.Figure:
    """Common look: white template, large fonts, a short title with a subtitle (split off at
    " — " or a trailing "(...)"), the legend under the plot (see :mod:`sim.charts.titles`)."""
    fig.update_layout(font={"size": 14}, hovermode="x unified",
                      **title_layout(fig, title, height))
    grid = getattr(fig, "_grid_ref", None)
    if not x_title:
        pass
    elif grid:
        for col in range(1, len(grid[0]) + 1):
            fig.update_xaxes(title_text=x_title, row=len(grid), col=col)
    else:
        fig.update_xaxes(title_text=x_title)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    fig.update_yaxes(rangemode="nonnegative")  # counts and times: an empty chart shows 0..1
    return fig


def say_empty(fig: go.Figure, text: str) -> go.Figure:
    """Say in the middle of an empty chart what its emptiness means ("No retries in this
    run"), with a 0..1 axis that has no made-up ticks."""
    fig.add_annotation(text=text, xref="paper", x=0.5, yref="paper", y=0.5, showarrow=False,
                       font={"size": 16, "color": INK}, bgcolor="rgba(255,255,255,0.85)")
    fig.update_yaxes(range=[0, 1], tickvals=[0], ticktext=["0"])
    return fig


def has_subplots(fig: go.Figure) -> bool:
    return bool(getattr(fig, "_grid_ref", None))


def resample(frame: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most ``max_points`` rows: consecutive rows averaged (``*_max`` columns take the max)."""
    if len(frame) <= max_points:
        return frame
    group = np.arange(len(frame)) * max_points // len(frame)
    agg = {c: ("max" if c.endswith("_max") else "mean") for c in frame.columns}
    agg["time"] = "last"
    return frame.groupby(group).agg(agg).reset_index(drop=True)


def end_time(result: Result) -> float:
    return float(result.summary.get("run", {}).get("end_time_s") or result.scenario.duration)


def fault_windows(results: Results) -> list[dict[str, Any]]:
    """The fault windows of the runs (``result.extra["faults"]``), each once, with the labels
    of the runs it happened in (a broker outage means nothing to the sync design)."""
    found: dict[tuple[float, float, str], list[str]] = {}
    for label, result in results.items():
        faults = (result.extra or {}).get("faults") or result.summary.get("faults") or []
        for fault in faults if isinstance(faults, list) else []:
            try:
                start = float(fault["start"])
                end = end_time(result) if fault.get("end") is None else float(fault["end"])
                text = str(fault.get("label") or fault.get("kind", "fault"))
            except (KeyError, TypeError, ValueError):
                continue
            found.setdefault((start, end, text), []).append(label)
    return [{"start": s, "end": e, "label": t, "runs": runs}
            for (s, e, t), runs in sorted(found.items())]


def fault_label(window: dict[str, Any], results: Results) -> str:
    """'broker down', or 'broker down (async only)' when some runs did not have it."""
    runs = window["runs"]
    if len(results) > 1 and len(runs) < len(results):
        return f"{window['label']} ({', '.join(r.split(':')[0] for r in runs)} only)"
    return window["label"]


def shade_faults(fig: go.Figure, results: Results) -> go.Figure:
    """Shade each fault window on the time axis (every subplot) and name it once, at the foot
    of the first plot (the top is for limit lines and their labels)."""
    many = has_subplots(fig)
    for window in fault_windows(results):
        extra = {"row": "all", "col": "all"} if many else {}
        fig.add_vrect(x0=window["start"], x1=window["end"], fillcolor=FAULT_FILL, opacity=0.2,
                      line_width=0, layer="below", **extra)
        fig.add_annotation(
            x=window["start"], xref="x", y=0, yref="y domain", xanchor="left", yanchor="bottom",
            text=f"⚠ {fault_label(window, results)}", showarrow=False,
            font={"size": 12, "color": FAULT_TEXT}, bgcolor="rgba(255,255,255,0.75)")
    return fig


def bin_width(results: Results) -> float:
    end = max(end_time(r) for r in results.values())
    return max(end, 1e-9) / TIME_BINS


def binned(times: np.ndarray, values: np.ndarray, width: float, how: str,
           until: float | None = None) -> pd.Series:
    """p95 of ``values`` ("p95"), their mean ("mean") or events per second ("rate") in time
    bins of ``width``; rates are 0 in empty bins up to ``until``."""
    frame = pd.DataFrame({"bin": np.floor(times / width), "v": values}).dropna()
    grouped = frame.groupby("bin")["v"]
    stat = {"p95": lambda: grouped.quantile(0.95), "mean": grouped.mean,
            "rate": lambda: grouped.count() / width}[how]()
    if how == "rate" and until is not None:
        last = max(int(np.ceil(until / width)), int(stat.index.max()) + 1 if len(stat) else 0)
        stat = stat.reindex(np.arange(last, dtype=float), fill_value=0.0)
    stat.index = (stat.index + 0.5) * width
    return stat


def line(x: Any, y: Any, name: str, color: str, dash: str = "solid", **kw: Any) -> go.Scatter:
    return go.Scatter(x=x, y=y, name=name, mode="lines", line={"color": color, "dash": dash,
                                                                "width": 2.5}, **kw)


def series(result: Result, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(time, values) of one time-series column, resampled; None when it was not recorded."""
    ts = result.timeseries
    if column not in ts.columns or "time" not in ts.columns:
        return None
    ts = resample(ts[["time", column]])
    return ts["time"].to_numpy(), ts[column].to_numpy()


def slug(label: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in label.lower()).strip("_") or "run"
