"""The main charts across replications: what the Playground and Compare draw instead of the
first run's chart when a configuration ran on several seeds.

- Response time: the share of all users answered within x, the mean over the replications of
  their ECDFs with a **pointwise** 95 % band (at each x, the Student-t interval of the
  replications' shares; the curves lie on one fixed time grid, :data:`ECDF_GRID`), and the
  p50/p95/p99 over every user as mean ± half-width.
- Over time: by arrival window, the p95 user wait and the share who gave up, mean and 95 % band
  per window; throughput (responses per second) with its band, next to the mean arrival rate
  and the mean rate of errors and time-outs.
- Task fates and retries: bars of the mean count with 95 % error bars.

Bands are translucent fills of the series' own colour (sync vermillion, async blue). Each
figure carries its key numbers in words in ``layout.meta["numbers"]`` (its text alternative).
Input: :class:`sim.experiment.Replications` per label, run with ``curves`` including
:data:`sim.experiment.curves.CHART_CURVES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from sim.charts.base import GREY, color_for, line, new_figure, say_empty, shade_faults, style
from sim.charts.experiment import _band
from sim.charts.response import MARKS
from sim.charts.summaries import _s
from sim.experiment.core import Replications
from sim.experiment.curves import ECDF_GRID
from sim.experiment.stats import interval, t_quantile
from sim.outcomes import FATES

Colors = Mapping[str, str]


def _color(label: str, i: int, colors: Colors | None) -> str:
    return (colors or {}).get(label) or color_for(label, i)


def _curves(reps: Replications, name: str) -> list[Any]:
    return [c[name] for c in reps.curves if c.get(name) is not None]


def _curves_by_label(all_reps: Mapping[str, Replications], name: str) -> dict[str, list[Any]]:
    """Each label's ``name`` curves, for the labels that have any."""
    return {label: d for label, r in all_reps.items() if (d := _curves(r, name))}


def _pointwise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95 % half-width of each column (rows: replications; NaN left out)."""
    n = np.sum(~np.isnan(matrix), axis=0)
    mean = np.full(matrix.shape[1], np.nan)
    mean[n > 0] = np.nanmean(matrix[:, n > 0], axis=0)  # a window nobody arrived in: NaN
    half = np.full(mean.shape, np.nan)
    for k in np.unique(n[n > 1]):
        cols = n == k
        sd = np.nanstd(matrix[:, cols], axis=0, ddof=1)
        half[cols] = t_quantile(int(k)) * sd / np.sqrt(k)
    return mean, half


def _reps_words(n: int) -> str:
    return f"mean of {n} replications, 95 % confidence"


def _half(x: float) -> str:
    """A half-width in seconds, to two significant figures (± 0.4 ms, ± 12 ms, ± 1.3 s)."""
    if x >= 1:
        return f"{x:.2g} s" if x < 10 else f"{x:.0f} s"
    return f"{x * 1000:.2g} ms" if x < 0.01 else f"{x * 1000:.0f} ms"


def _mean_pm(values: Sequence[float | None], unit: str = "s") -> str:
    ci = interval(values)
    if ci.mean is None:
        return "–"
    if unit == "%":
        return f"{ci.mean * 100:.0f} %" + (f" ± {ci.half_width * 100:.2g} %"
                                            if ci.half_width else "")
    return _s(ci.mean) + (f" ± {_half(ci.half_width)}" if ci.half_width else "")


def _ecdf_series(fig: go.Figure, label: str, color: str, data: list[dict], log: bool) -> str:
    """Band, mean curve and percentile marks of one label; its sentence."""
    within = np.array([d["within"] for d in data], dtype=float) * 100
    mean, half = _pointwise(within)
    reached = np.nanmax(within, axis=0) > 0
    done = np.all(within >= within[:, -1:] - 1e-9, axis=0)
    lo = max(int(np.argmax(reached)) - 1, 1 if log else 0)
    hi = min(int(np.argmax(done)) + 2, ECDF_GRID.size)
    x, m, h = ECDF_GRID[lo:hi], mean[lo:hi], np.nan_to_num(half[lo:hi])
    if len(data) > 1:
        fig.add_trace(_band(x, np.clip(m - h, 0, 100), np.clip(m + h, 0, 100), color,
                            f"{label} 95 % CI"))
    fig.add_trace(line(x, m, label, color, legendgroup=label,
                       hovertemplate="%{x:.3g} s: %{y:.1f} % of users answered (mean)"
                                     "<extra></extra>"))
    shares = [d["share"] for d in data]
    said = [f"{label}: {_mean_pm(shares, '%')} of all users answered"]
    for key, symbol in MARKS.items():
        values = [d["marks"][key] for d in data]
        missing = sum(v is None for v in values)
        if missing:
            said.append(f"{key} not reached in {missing} of {len(data)} replications")
            continue
        ci = interval(values)
        text = f"{key} {_mean_pm(values)}"
        fig.add_trace(go.Scatter(
            x=[ci.mean], y=[int(key[1:])], mode="markers+text", legendgroup=label,
            marker={"symbol": symbol, "size": 11, "color": color, "line": {"width": 1}},
            error_x={"type": "data", "array": [ci.half_width or 0], "color": color},
            text=[text if key == "p95" else key], showlegend=False,
            textposition="middle left" if key == "p95" else "middle right",
            textfont={"color": color}, hovertemplate=f"{label} {text}<extra></extra>"))
        said.append(text)
    share = interval(shares).mean or 0.0
    if share < 1:
        fig.add_hline(y=share * 100, line={"color": color, "dash": "dot", "width": 1.5})
    return ", ".join(said)


def response_ecdf_reps(all_reps: Mapping[str, Replications], colors: Colors | None = None,
                       results: Any = None) -> go.Figure | None:
    """Share of all users answered within x: mean ECDF and pointwise 95 % band per label."""
    data = {label: d for label, d in _curves_by_label(all_reps, "response_ecdf").items()
            if any(x["arrived"] for x in d)}
    if not data:
        return None
    mins = [x["min"] for d in data.values() for x in d]
    log = all(v is not None and v > 0 for v in mins)
    fig, words = new_figure(), []
    for i, (label, d) in enumerate(data.items()):
        words.append(_ecdf_series(fig, label, _color(label, i, colors), d, log))
    n = len(next(iter(data.values())))
    style(fig, f"Response time: share of all users answered within x — {_reps_words(n)} "
          "band (pointwise across the replications' curves)",
          "response time (s, log scale)" if log else "response time (s)",
          "users answered (% of all who arrived)")
    if log:
        fig.update_xaxes(type="log")
    fig.update_yaxes(range=[0, 104])
    fig.update_layout(hovermode="closest",
                      meta={"numbers": f"Mean of {n} replications with 95 % confidence "
                                       "intervals. " + "; ".join(words) + "."})
    return fig


def _windows(data: list[dict], key: str, fill: float = np.nan
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and half-width per window; a replication that ended sooner counts ``fill`` in the
    windows after its end (0 for a rate: nothing happened)."""
    width = data[0]["width"]
    size = max(len(d.get(key, [])) for d in data)
    matrix = np.full((len(data), size), fill)
    for row, d in enumerate(data):
        values = d.get(key, [])
        matrix[row, :len(values)] = [np.nan if v is None else v for v in values]
    mean, half = _pointwise(matrix)
    return (np.arange(size) + 0.5) * width, mean, half


def _banded_line(fig: go.Figure, x: np.ndarray, mean: np.ndarray, half: np.ndarray,
                 name: str, color: str, dash: str, row: int, **kw: Any) -> None:
    keep = ~np.isnan(mean)
    x, mean, half = x[keep], mean[keep], np.nan_to_num(half[keep])
    where = {"row": row, "col": 1} if row else {}  # row 0: a figure without subplots
    if half.any():
        fig.add_trace(_band(x, np.maximum(mean - half, 0), mean + half, color, f"{name} CI"),
                      **where)
    fig.add_trace(line(x, mean, name, color, dash, legendgroup=name, **kw), **where)


def over_time_reps(all_reps: Mapping[str, Replications], colors: Colors | None = None,
                   results: Any = None) -> go.Figure | None:
    """p95 user wait and share who gave up by arrival window: mean and 95 % band."""
    data = _curves_by_label(all_reps, "over_time")
    if not data:
        return None
    fig = new_figure(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                     row_heights=[0.62, 0.38])
    words = []
    for i, (label, d) in enumerate(data.items()):
        color = _color(label, i, colors)
        x, mean, half = _windows(d, "p95")
        _banded_line(fig, x, mean, half, label, color, "solid", 1,
                     hovertemplate="%{y:.3f} s (mean)<extra>" + label + "</extra>")
        if np.isfinite(mean).any():
            k = int(np.nanargmax(mean))
            words.append(f"{label}: highest mean p95 user wait {_s(mean[k])}"
                         + (f" ± {_half(half[k])}" if np.isfinite(half[k]) else "")
                         + f" for users arriving near {x[k]:.3g} s")
        x, mean, half = _windows(d, "gave_up")
        _banded_line(fig, x, mean * 100, half * 100, f"{label}: gave up", color, "dot", 2,
                     showlegend=False,
                     hovertemplate="%{y:.0f} % gave up (mean)<extra>" + label + "</extra>")
    n = len(next(iter(data.values())))
    width = next(iter(data.values()))[0]["width"]
    style(fig, f"What users waited, by arrival ({width:.3g}-s windows): p95 user wait and "
          f"share who gave up — {_reps_words(n)} band per window", "simulated time (s)", "")
    fig.update_yaxes(title_text="p95 user wait (s)", row=1, col=1)
    fig.update_yaxes(title_text="gave up (%)", range=[0, 104], row=2, col=1)
    fig.update_layout(meta={"numbers": f"Mean of {n} replications with 95 % confidence "
                                       "bands. " + "; ".join(words) + "."})
    return shade_faults(fig, results) if results else fig


def throughput_reps(all_reps: Mapping[str, Replications], colors: Colors | None = None,
                    results: Any = None) -> go.Figure | None:
    """Responses per second by window: mean and 95 % band per label, the mean arrival rate
    and (where any) the mean rate of errors and time-outs."""
    data = {label: d for label, d in _curves_by_label(all_reps, "over_time").items()
            if "completed" in d[0]}
    if not data:
        return None
    fig, words = new_figure(), []
    first = next(iter(data.values()))
    x, mean, _half = _windows(first, "arriving", 0.0)
    fig.add_trace(line(x, mean, "new requests arriving (mean)", GREY, "dot"))
    for i, (label, d) in enumerate(data.items()):
        color = _color(label, i, colors)
        x, mean, half = _windows(d, "completed", 0.0)
        _banded_line(fig, x, mean, half, label, color, "solid", 0)
        words.append(f"{label}: highest mean throughput {np.nanmax(mean):.3g} responses/s")
        x, mean, _half = _windows(d, "errors", 0.0)
        if np.nanmax(mean, initial=0) > 0:
            fig.add_trace(line(x, mean, f"{label}: errors and time-outs (mean)", color, "dot"))
            words.append(f"{label}: up to {np.nanmax(mean):.3g} errors or time-outs/s")
    n, width = len(first), first[0]["width"]
    style(fig, f"Throughput: responses per second ({width:.3g}-s windows) — "
          f"{_reps_words(n)} band per window", "simulated time (s)", "responses per second")
    fig.update_layout(meta={"numbers": f"Mean of {n} replications with 95 % confidence "
                                       "bands. " + "; ".join(words) + "."})
    return shade_faults(fig, results) if results else fig


def _bars(fig: go.Figure, label: str, color: str, categories: list[str],
          values: list[list[float]], horizontal: bool) -> list[str]:
    stats = [interval(v) for v in values]
    means = [s.mean or 0.0 for s in stats]
    halves = [s.half_width or 0.0 for s in stats]
    total = sum(means) or 1.0
    texts = [f"{m:,.1f} ± {h:,.1f}" + (f" ({m / total * 100:.0f} %)" if horizontal else "")
             for m, h in zip(means, halves, strict=True)]
    err = {"type": "data", "array": halves, "color": "#333333", "thickness": 1.5}
    axes = ({"y": categories, "x": means, "orientation": "h", "error_x": err} if horizontal
            else {"x": categories, "y": means, "error_y": err})
    fig.add_trace(go.Bar(name=label, marker_color=color, text=texts, textposition="outside",
                         cliponaxis=False, hovertemplate=f"{label}: %{{text}}<extra></extra>",
                         **axes))
    return [f"{c} {t}" for c, t in zip(categories, texts, strict=True)]


def fates_reps(all_reps: Mapping[str, Replications], colors: Colors | None = None,
               results: Any = None) -> go.Figure | None:
    """Mean tasks per fate with 95 % error bars, one bar per label."""
    data = _curves_by_label(all_reps, "fates")
    if not data:
        return None
    order = {f: k for k, f in enumerate(FATES)}
    fates = sorted({f for d in data.values() for c in d for f, n in c.items() if n},
                   key=lambda f: (order.get(f, len(order)), f)) or [FATES[0]]
    rows = fates[::-1]
    fig, words = new_figure(), []
    for i, (label, d) in reversed(list(enumerate(data.items()))):
        values = [[float(c.get(f, 0)) for c in d] for f in rows]
        said = _bars(fig, label, _color(label, i, colors), rows, values, horizontal=True)
        words.append(f"{label}: " + ", ".join(reversed(said)))
    n = len(next(iter(data.values())))
    style(fig, f"What happened to every task — mean tasks per run, {_reps_words(n)} error "
          "bars", "tasks (mean per run)", "", height=170 + len(rows) * (14 + 22 * len(data)))
    top = max((t.x[k] + (t.error_x.array[k] or 0)) for t in fig.data for k in range(len(t.x)))
    fig.update_xaxes(range=[0, max(top, 1) * 1.35])
    fig.update_layout(barmode="group", hovermode="closest", bargap=0.25,
                      legend_traceorder="reversed",
                      meta={"numbers": f"Mean of {n} replications with 95 % confidence "
                                       "intervals. " + "; ".join(reversed(words)) + "."})
    return fig


def retries_reps(all_reps: Mapping[str, Replications], colors: Colors | None = None,
                 results: Any = None) -> go.Figure | None:
    """Task retries and users resending per run: mean with 95 % error bars."""
    keys = {"task retries": "tasks.retries", "users resending": "requests.retried"}
    fig, words, total, n = new_figure(), [], 0.0, 0
    for i, (label, reps) in enumerate(all_reps.items()):
        values = [[v or 0.0 for v in reps.values(key)] for key in keys.values()]
        total += sum(map(sum, values))
        n = len(reps.summaries)
        words.append(f"{label}: " + ", ".join(
            _bars(fig, label, _color(label, i, colors), list(keys), values, horizontal=False)))
    style(fig, f"Retries per run — {_reps_words(n)} error bars", "", "retries (mean per run)")
    fig.update_layout(barmode="group", hovermode="closest",
                      meta={"numbers": f"Mean of {n} replications with 95 % confidence "
                                       "intervals. " + "; ".join(words) + "."})
    if total == 0:
        say_empty(fig, "No retries and no users resending in any replication")
    return fig


Builder = Callable[..., go.Figure | None]
REPLICATED: dict[str, Builder] = {  # the single-run chart each one replaces
    "response_time_ecdf": response_ecdf_reps, "response_time_over_time": over_time_reps,
    "task_fates": fates_reps, "retries": retries_reps, "throughput": throughput_reps,
}

__all__ = ["REPLICATED", "fates_reps", "over_time_reps", "response_ecdf_reps",
           "retries_reps", "throughput_reps"]
