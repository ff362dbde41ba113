"""Levels over time: queues, Kafka consumer lag per partition, busy threads / slots / downstream
calls, how busy each worker was, and the running count of retries. Fault windows are shaded."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sim.charts.base import (
    BLACK,
    GREY,
    MAX_POINTS,
    Results,
    color_for,
    end_time,
    line,
    new_figure,
    say_empty,
    series,
    shade_faults,
    style,
)
from sim.charts.palette import PARTITION_REST, PARTITION_STYLES
from sim.runner import Result

QUEUES = (  # column, what waits there, dash; the first one of each mode is always drawn
    ("web_queue_mean", "waiting for a web thread", "dot", "sync"),
    ("queue_depth_mean", "in the broker", "solid", "async"),
    ("retry_waiting_mean", "waiting to retry (back-off)", "dash", None),
    ("downstream_queue_mean", "waiting for the downstream", "dashdot", None),
)


def queue_depth(results: Results) -> go.Figure:
    """Work waiting: for a web thread, in the broker, in back-off, for the downstream."""
    fig = new_figure()
    for i, (label, result) in enumerate(results.items()):
        for column, what, dash, main_in in QUEUES:
            data = series(result, column)
            if data is None or (column == "queue_depth_mean" and result.mode == "sync"):
                continue
            if main_in != result.mode and not np.any(data[1] > 1e-9):
                continue
            fig.add_trace(line(*data, f"{label}: {what}", color_for(label, i, results), dash))
    style(fig, "Queues: work waiting (mean in each window)", "simulated time (s)",
          "items waiting")
    return shade_faults(fig, results)


PARTITION_COLORS = tuple(color for color, _dash in PARTITION_STYLES)


def _lag_columns(result: Result) -> list[int]:
    found = (c for c in result.timeseries.columns if c.startswith("lag_p") and c.endswith("_mean"))
    return sorted(int(c[5:-5]) for c in found if c[5:-5].isdigit())


def consumer_lag(results: Results) -> go.Figure | None:
    """Kafka consumer lag per partition over time (left) and its peak per partition (right),
    one row per run with partitions; None when no run used Kafka."""
    runs = {label: r for label, r in results.items()
            if r.mode == "async" and _lag_columns(r)}
    if not runs:
        return None
    fig = new_figure(rows=len(runs), cols=2, column_widths=[0.75, 0.25], horizontal_spacing=0.07,
                     vertical_spacing=0.14)
    shown: set[str] = set()
    for row, (label, result) in enumerate(runs.items(), start=1):
        parts = _lag_columns(result)
        ts = result.timeseries
        peaks = {p: float(ts[f"lag_p{p}_max"].max()) if f"lag_p{p}_max" in ts else 0.0
                 for p in parts}
        hot = sorted(parts, key=lambda p: -peaks[p])
        coloured = hot if len(hot) <= len(PARTITION_STYLES) else hot[: len(PARTITION_STYLES) - 1]
        look = {p: PARTITION_STYLES[k] for k, p in enumerate(coloured)}  # hottest: black, solid
        colour = {p: look[p][0] for p in coloured}
        for p in sorted(coloured):
            data = series(result, f"lag_p{p}_mean")
            name = f"partition {p}"
            if data is not None:
                fig.add_trace(line(*data, name, colour[p], look[p][1], legendgroup=name,
                                   showlegend=name not in shown), row=row, col=1)
                shown.add(name)
        rest = [p for p in parts if p not in colour]
        if rest:
            frame = ts[[f"lag_p{p}_mean" for p in rest]].max(axis=1)
            step = max(1, -(-len(frame) // MAX_POINTS))
            name = f"the other {len(rest)} partitions (highest)"
            fig.add_trace(line(ts["time"].to_numpy()[::step], frame.to_numpy()[::step], name,
                               PARTITION_REST, "dot", showlegend=name not in shown),
                          row=row, col=1)
            shown.add(name)
        fig.add_trace(go.Bar(
            x=[f"P{p}" for p in parts], y=[peaks[p] for p in parts], showlegend=False,
            marker_color=[colour.get(p, PARTITION_REST) for p in parts],
            text=[f"{peaks[p]:,.0f}" for p in parts], textposition="outside", cliponaxis=False,
            hovertemplate="partition %{x}: at most %{y:,.0f} behind<extra></extra>"),
            row=row, col=2)
        who = f"{label}: " if len(results) > 1 else ""
        fig.update_yaxes(title_text=f"{who}messages behind", row=row, col=1)
        fig.update_yaxes(rangemode="tozero", showticklabels=False, row=row, col=2)
        fig.update_xaxes(title_text="highest, per partition", row=row, col=2)
    style(fig, "Kafka consumer lag: messages waiting in each partition", "", "",
          height=200 + 280 * len(runs))
    fig.update_xaxes(title_text="simulated time (s)", row=len(runs), col=1)
    return shade_faults(fig, results)


def busy(results: Results) -> go.Figure:
    """Busy web threads, busy worker slots (async) and downstream calls (when capped)."""
    rows = [("web", "web_busy_mean", "busy web threads", "threads")]
    if any(r.mode == "async" for r in results.values()):
        rows.append(("workers", "worker_busy_mean", "busy worker slots", "slots"))
    if any(r.scenario.downstream.capacity for r in results.values()):
        rows.append(("downstream", "downstream_busy_mean", "downstream calls in progress",
                     "calls"))
    # each row says what it counts on its y axis (subplot titles would sit under the title)
    fig = new_figure(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.08)
    caps: dict[int, dict[int, list[tuple[str, str]]]] = {}
    for i, (label, result) in enumerate(results.items()):
        color, first = color_for(label, i, results), True
        for row, (tier, column, _title, _unit) in enumerate(rows, start=1):
            data = series(result, column)
            cap = _capacity(result, tier)
            if data is None or (tier == "workers" and result.mode == "sync") or cap is None:
                continue
            fig.add_trace(line(*data, label, color, legendgroup=label, showlegend=first),
                          row=row, col=1)
            first = False
            caps.setdefault(row, {}).setdefault(cap, []).append((label, color))
    for row, by_cap in caps.items():
        unit = rows[row - 1][3]
        for cap, owners in by_cap.items():
            alone = len(by_cap) == 1
            color = GREY if alone else owners[0][1]
            who = "" if alone else ", ".join(o[0].split(":")[0] for o in owners) + ": "
            fig.add_hline(y=cap, line_dash="dot", line_color=color, line_width=1.5, row=row,
                          col=1, annotation_text=f"{who}{cap} {unit} (the limit)",
                          annotation_position="top right",
                          annotation_font={"size": 12, "color": color if not alone else BLACK})
    names = [title.removeprefix("busy ") for *_x, title, _u in rows]
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    style(fig, f"Busy {what} (mean in each window)", "simulated time (s)", "",
          height=220 + 170 * len(rows))
    axis = {"threads": "web threads", "slots": "worker slots", "calls": "downstream calls"}
    for row, (*_x, unit) in enumerate(rows, start=1):
        fig.update_yaxes(title_text=f"busy {axis[unit]}", rangemode="tozero", row=row, col=1)
    return shade_faults(fig, results)


def _capacity(result: Result, tier: str) -> int | None:
    sc = result.scenario
    if tier == "web":
        return sc.web.workers
    if tier == "workers":  # with services, every service's slots
        workers = [s.workers for s in sc.services] or [sc.workers]
        return sum(w.count * w.concurrency for w in workers)
    return sc.downstream.capacity or None


def worker_share(results: Results) -> go.Figure | None:
    """How busy each worker process was over the run (async runs with 2 or more workers)."""
    runs = {label: r.summary.get("utilization", {}).get("per_worker") or []
            for label, r in results.items() if r.mode == "async"}
    runs = {label: shares for label, shares in runs.items() if len(shares) > 1}
    if not runs:
        return None
    fig = new_figure()
    for i, (label, shares) in enumerate(runs.items()):
        fig.add_trace(go.Bar(
            x=[f"worker {w + 1}" for w in range(len(shares))], y=[s * 100 for s in shares],
            name=label, marker_color=color_for(label, i, results),
            text=[f"{s:.0%}" for s in shares], textposition="outside", cliponaxis=False,
            hovertemplate=f"{label}, %{{x}}: busy %{{y:.0f}} % of the time<extra></extra>"))
    style(fig, "How busy each worker was (share of its slots' time)", "",
          "busy (% of the run)", height=360)
    fig.update_yaxes(range=[0, 115])
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


def retries_over_time(results: Results) -> go.Figure:
    """Task retries started so far (a running count), and users who resent their request."""
    fig, total = new_figure(), 0
    for i, (label, result) in enumerate(results.items()):
        color, end = color_for(label, i, results), end_time(result)
        starts = np.sort(result.attempts.loc[result.attempts["attempt"] > 1, "start"].to_numpy())
        total += starts.size
        fig.add_trace(_count(starts, end, f"{label}: task retries ({starts.size:,})", color))
        if "client_retry" in result.requests:
            resent = np.sort(result.requests.loc[result.requests["client_retry"],
                                                 "arrival"].to_numpy())
            total += resent.size
            if resent.size:
                fig.add_trace(_count(resent, end, f"{label}: users resending ({resent.size:,})",
                                     color, "dot"))
    style(fig, "Retries so far (running count)", "simulated time (s)", "retries so far")
    if total == 0:
        say_empty(fig, "No retries and no users resending in this run")
    return shade_faults(fig, results)


def _count(times: np.ndarray, end: float, name: str, color: str, dash: str = "solid"
           ) -> go.Scatter:
    step = max(1, -(-times.size // (MAX_POINTS - 2)))  # ceil: at most MAX_POINTS in all
    x = np.concatenate([[0.0], times[::step], [max(end, times[-1] if times.size else 0.0)]])
    y = np.concatenate([[0], np.arange(1, times.size + 1)[::step], [times.size]])
    return line(x, y, name, color, dash, line_shape="hv")
