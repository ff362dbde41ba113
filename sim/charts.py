"""Plotly figures of one or more runs: the charts the app shows and the CLI exports.

Every builder is a pure function ``Results -> go.Figure``, where ``Results`` maps a series label
("sync", "async", "A", "B", ...) to a :class:`~sim.runner.Result`. A label keeps one colour on
every chart (Okabe-Ito palette, readable by colour-blind viewers). Only SVG traces (go.Scatter,
go.Bar) are used, never WebGL, and every trace has at most ~1,000 points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.capacity import expected_attempts, offered_load
from sim.dists import cv_of, mean_of
from sim.metrics import response_times
from sim.runner import Result
from sim.theory import UnstableQueueError, mgc_approx

BLACK, ORANGE, SKY, GREEN = "#000000", "#E69F00", "#56B4E9", "#009E73"
YELLOW, BLUE, VERMILLION, PURPLE, GREY = "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"
SERIES_COLORS = {"sync": VERMILLION, "async": BLUE, "A": GREEN, "B": PURPLE}
EXTRA_COLORS = (ORANGE, SKY, BLACK, YELLOW)
MAX_POINTS = 1000
TIME_BINS = 100
Results = Mapping[str, Result]
_AXIS = {"gridcolor": "#E5E8EE", "linecolor": "#B0B6C0", "zerolinecolor": "#C8CDD5",
         "ticks": "outside", "tickcolor": "#B0B6C0", "automargin": True}
LIGHT = {"layout": {  # a small template (plotly's built-in ones are slow to copy)
    "paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": "#262730"},
    "colorway": [BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, BLACK, YELLOW],
    "xaxis": _AXIS, "yaxis": _AXIS, "hoverlabel": {"font": {"size": 13}},
}}


def new_figure(**subplots: Any) -> go.Figure:
    """An empty figure with the light template (subplots when keyword arguments are given)."""
    fig = go.Figure(layout={"template": LIGHT})
    return make_subplots(figure=fig, **subplots) if subplots else fig


def color_for(label: str, index: int = 0) -> str:
    """The fixed colour of a series: sync, async, A and B never change colour."""
    key = label if label in SERIES_COLORS else label.split(" ")[0].rstrip(":")
    return SERIES_COLORS.get(key, EXTRA_COLORS[index % len(EXTRA_COLORS)])


def style(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 400) -> go.Figure:
    """Common look: white template, large fonts, legend above the plot."""
    fig.update_layout(
        height=height, font={"size": 14},
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.97, "font": {"size": 18}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "xanchor": "left"},
        margin={"l": 70, "r": 30, "t": 95, "b": 60}, hovermode="x unified",
    )
    fig.update_xaxes(title_text=x_title, row=_last_row(fig), col=1 if _subplots(fig) else None)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    return fig


def _subplots(fig: go.Figure) -> bool:
    return bool(getattr(fig, "_grid_ref", None))


def _last_row(fig: go.Figure) -> int | None:
    grid = getattr(fig, "_grid_ref", None)
    return len(grid) if grid else None


def resample(frame: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most ``max_points`` rows: consecutive rows averaged (``*_max`` columns take the max)."""
    if len(frame) <= max_points:
        return frame
    group = np.arange(len(frame)) * max_points // len(frame)
    agg = {c: ("max" if c.endswith("_max") else "mean") for c in frame.columns}
    agg["time"] = "last"
    return frame.groupby(group).agg(agg).reset_index(drop=True)


def shade_faults(fig: go.Figure, results: Results) -> go.Figure:
    """Shade fault windows (``result.extra["faults"]``) on the time axis, if there are any."""
    seen: set[tuple[float, float, str]] = set()
    for result in results.values():
        faults = (result.extra or {}).get("faults") or result.summary.get("faults") or []
        for fault in faults if isinstance(faults, list) else []:
            try:
                key = (float(fault["start"]), float(fault["end"]),
                       str(fault.get("label") or fault.get("kind", "fault")))
            except (KeyError, TypeError, ValueError):
                continue
            if key in seen:
                continue
            seen.add(key)
            extra = {"row": "all", "col": "all"} if _subplots(fig) else {}
            fig.add_vrect(x0=key[0], x1=key[1], fillcolor=GREY, opacity=0.18, line_width=0,
                          annotation_text=key[2], annotation_position="top left", **extra)
    return fig


def _bin_width(results: Results) -> float:
    end = max(r.summary["run"]["end_time_s"] for r in results.values())
    return max(end, 1e-9) / TIME_BINS


def _binned(times: np.ndarray, values: np.ndarray, width: float, how: str) -> pd.Series:
    frame = pd.DataFrame({"bin": np.floor(times / width), "v": values}).dropna()
    grouped = frame.groupby("bin")["v"]
    stat = grouped.quantile(0.95) if how == "p95" else grouped.count() / width
    stat.index = (stat.index + 0.5) * width
    return stat


def _line(x: Any, y: Any, name: str, color: str, dash: str = "solid", **kw: Any) -> go.Scatter:
    return go.Scatter(x=x, y=y, name=name, mode="lines", line={"color": color, "dash": dash,
                                                                "width": 2.5}, **kw)


# --- response time ---------------------------------------------------------------------------


def response_time_ecdf(results: Results) -> go.Figure:
    """Share of requests answered within x seconds, with p50/p95/p99 marked."""
    fig = new_figure()
    positive = []
    marks = {"p50": "circle", "p95": "diamond", "p99": "square"}
    for i, (label, result) in enumerate(results.items()):
        rt = response_times(result.requests, result.scenario.warmup)
        if rt.size == 0:
            continue
        color = color_for(label, i)
        probs = np.linspace(0, 1, min(rt.size, MAX_POINTS))
        fig.add_trace(_line(np.quantile(rt, probs), probs * 100, label, color,
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
    style(fig, "Response time: share of requests answered within x",
          "response time (s, log scale)" if positive and all(positive) else "response time (s)",
          "requests answered (%)")
    if positive and all(positive):
        fig.update_xaxes(type="log")
    fig.update_layout(hovermode="closest")
    return fig


def response_time_over_time(results: Results) -> go.Figure:
    """p95 response time of the requests arriving in each time window."""
    fig, width = new_figure(), _bin_width(results)
    for i, (label, result) in enumerate(results.items()):
        req = result.requests[result.requests["outcome"].isin(["completed", "failed"])]
        p95 = _binned(req["arrival"].to_numpy(), (req["end"] - req["arrival"]).to_numpy(),
                      width, "p95")
        fig.add_trace(_line(p95.index, p95.to_numpy(), label, color_for(label, i)))
    style(fig, f"p95 response time over time ({width:.3g}-s windows, by arrival)",
          "simulated time (s)", "p95 response time (s)")
    return shade_faults(fig, results)


def throughput_over_time(results: Results) -> go.Figure:
    """Responses per second, next to the arrival rate."""
    fig, width = new_figure(), _bin_width(results)
    first = next(iter(results.values()), None)
    if first is not None:
        arrivals = _binned(first.requests["arrival"].to_numpy(),
                           np.ones(len(first.requests)), width, "rate")
        fig.add_trace(_line(arrivals.index, arrivals.to_numpy(), "arrivals", GREY, "dot"))
    for i, (label, result) in enumerate(results.items()):
        done = result.requests[result.requests["outcome"] == "completed"]
        rate = _binned(done["end"].to_numpy(), np.ones(len(done)), width, "rate")
        fig.add_trace(_line(rate.index, rate.to_numpy(), label, color_for(label, i)))
    style(fig, f"Throughput: responses per second ({width:.3g}-s windows)",
          "simulated time (s)", "responses per second")
    return shade_faults(fig, results)


# --- levels over time -------------------------------------------------------------------------


def _series(result: Result, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    ts = result.timeseries
    if column not in ts.columns or "time" not in ts.columns:
        return None
    ts = resample(ts[["time", column]])
    return ts["time"].to_numpy(), ts[column].to_numpy()


def queue_depth(results: Results) -> go.Figure:
    """Requests waiting for a web thread, and messages waiting in the broker."""
    fig = new_figure()
    parts = (("queue_depth_mean", "broker queue", "solid"),
             ("web_queue_mean", "waiting for a web thread", "dot"))
    for i, (label, result) in enumerate(results.items()):
        for column, what, dash in parts:
            data = _series(result, column)
            if data is None or (not np.any(data[1]) and what == "broker queue"
                                and result.mode == "sync"):
                continue
            fig.add_trace(_line(*data, f"{label}: {what}", color_for(label, i), dash))
    style(fig, "Queues: work waiting (mean in each window)", "simulated time (s)",
          "items waiting")
    return shade_faults(fig, results)


def consumer_lag(results: Results) -> go.Figure | None:
    """Kafka consumer lag per partition (columns ``lag_p<N>_mean``); None when not a kafka run."""
    fig = new_figure()
    for i, (label, result) in enumerate(results.items()):
        columns = sorted((c for c in result.timeseries.columns
                          if c.startswith("lag_p") and c.endswith("_mean")),
                         key=lambda c: int("".join(ch for ch in c if ch.isdigit()) or 0))
        dashes = ("solid", "dot", "dash", "dashdot", "longdash")
        for k, column in enumerate(columns):
            data = _series(result, column)
            part = column.removeprefix("lag_p").removesuffix("_mean")
            if data is not None:
                fig.add_trace(_line(*data, f"{label}: partition {part}", color_for(label, i),
                                    dashes[k % len(dashes)]))
    if not fig.data:
        return None
    style(fig, "Consumer lag per partition (messages not yet consumed)", "simulated time (s)",
          "messages behind")
    return shade_faults(fig, results)


def busy(results: Results) -> go.Figure:
    """Busy web threads (top) and busy worker slots (bottom), with capacities."""
    fig = new_figure(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("busy web threads", "busy worker slots"))
    for i, (label, result) in enumerate(results.items()):
        color = color_for(label, i)
        for row, column in ((1, "web_busy_mean"), (2, "worker_busy_mean")):
            data = _series(result, column)
            if data is None or (row == 2 and result.mode == "sync"):
                continue
            fig.add_trace(_line(*data, label, color, legendgroup=label, showlegend=row == 1
                                or result.mode == "sync"), row=row, col=1)
        sc = result.scenario
        caps = ((1, sc.web.workers, "threads"),
                (2, sc.workers.count * sc.workers.concurrency, "slots"))
        for row, cap, unit in caps:
            if row == 2 and result.mode == "sync":
                continue
            fig.add_hline(y=cap, line_dash="dot", line_color=GREY, row=row, col=1,
                          annotation_text=f"{cap} {unit}", annotation_position="top right")
    style(fig, "Busy web threads and worker slots (mean in each window)", "simulated time (s)",
          "", height=520)
    fig.update_yaxes(title_text="threads", row=1, col=1)
    fig.update_yaxes(title_text="slots", row=2, col=1)
    fig.update_layout(margin={"t": 110})
    return shade_faults(fig, results)


# --- tasks ------------------------------------------------------------------------------------


def retries_over_time(results: Results) -> go.Figure:
    """Retries started so far (a running count), one line per series."""
    fig = new_figure()
    for i, (label, result) in enumerate(results.items()):
        starts = np.sort(result.attempts.loc[result.attempts["attempt"] > 1, "start"].to_numpy())
        end = result.summary["run"]["end_time_s"]
        step = max(1, starts.size // MAX_POINTS)
        x = np.concatenate([[0.0], starts[::step], [end]])
        y = np.concatenate([[0], np.arange(1, starts.size + 1)[::step], [starts.size]])
        fig.add_trace(_line(x, y, f"{label} ({starts.size:,} retries)", color_for(label, i),
                            line_shape="hv"))
    style(fig, "Retries so far (running count)", "simulated time (s)", "retries started")
    return shade_faults(fig, results)


FATES = (  # label, colour
    ("succeeded first try", GREEN), ("succeeded after retries", SKY),
    ("succeeded, ran twice", YELLOW), ("failed", VERMILLION), ("dead-lettered", PURPLE),
    ("lost", BLACK), ("unfinished", GREY),
)


def task_fates(tasks: pd.DataFrame) -> dict[str, int]:
    """How every task ended, in the categories of :data:`FATES`."""
    state = tasks["state"].astype(str)
    ok = state == "succeeded"
    dup = tasks["duplicates"] > 0 if "duplicates" in tasks else pd.Series(False, tasks.index)
    first = ok & (tasks["attempts"] <= 1) & ~dup
    return {
        "succeeded first try": int(first.sum()),
        "succeeded after retries": int((ok & ~first & ~dup).sum()),
        "succeeded, ran twice": int((ok & dup).sum()),
        "failed": int((state == "failed").sum()),
        "dead-lettered": int((state == "dead_lettered").sum()),
        "lost": int((state == "lost").sum()),
        "unfinished": int(state.isin(["in_queue", "in_progress"]).sum()),
    }


def fates_figure(results: Results) -> go.Figure:
    """The fate of every task, as one stacked bar per series."""
    fig = new_figure()
    counts = {label: task_fates(r.tasks) for label, r in results.items()}
    labels = list(counts)[::-1]
    for fate, color in FATES:
        values = [counts[label][fate] for label in labels]
        if not any(values) and fate not in ("succeeded first try", "failed"):
            continue
        fig.add_trace(go.Bar(y=labels, x=values, name=fate, orientation="h",
                             marker={"color": color, "line": {"color": "white", "width": 1}},
                             text=[f"{v:,}" if v else "" for v in values],
                             textposition="inside", insidetextanchor="middle"))
    style(fig, "What happened to every task", "tasks", "", height=160 + 70 * len(labels))
    fig.update_layout(barmode="stack", hovermode="closest", legend_traceorder="normal",
                      uniformtext_minsize=11, uniformtext_mode="hide")
    return fig


# --- request journeys -------------------------------------------------------------------------

SEGMENTS = {  # kind -> colour, in legend order
    "waiting for a web thread": ORANGE, "handler (web work)": SKY, "waiting in the queue": YELLOW,
    "attempt succeeded": GREEN, "attempt failed": BLACK, "attempt killed": GREY,
    "back-off before retry": PURPLE,
}
OUTCOME_SEGMENT = {"success": "attempt succeeded", "failure": "attempt failed",
                   "killed": "attempt killed", "running": "attempt succeeded"}


def sample_requests(result: Result, n: int = 20) -> list[int]:
    """About ``n`` request ids from the middle of the run: some retried ones, the rest evenly."""
    req = result.requests
    middle = req[(req["arrival"] >= 0.25 * result.scenario.duration)
                 & (req["arrival"] <= 0.75 * result.scenario.duration)]
    ids = middle["request_id"].to_numpy() if len(middle) else req["request_id"].to_numpy()
    if ids.size == 0:
        return []
    retried = result.tasks[(result.tasks["attempts"] > 1) & result.tasks["request_id"].isin(ids)]
    chosen = set(retried["request_id"].to_numpy()[: n // 4].tolist())
    step = max(1, ids.size // max(1, n - len(chosen)))
    for rid in ids[::step]:
        if len(chosen) >= n:
            break
        chosen.add(int(rid))
    return sorted(chosen)


def journey_segments(result: Result, ids: list[int]) -> pd.DataFrame:
    """Where each request's time goes: (request, kind, start, end), in s after its arrival."""
    req = result.requests.set_index("request_id").loc[ids]
    tasks = result.tasks[result.tasks["request_id"].isin(ids)]
    task_of = dict(zip(tasks["request_id"], tasks["task_id"], strict=False))
    published = dict(zip(tasks["request_id"], tasks["published"], strict=False))
    attempts = result.attempts[result.attempts["task_id"].isin(tasks["task_id"])]
    by_task = {k: g.sort_values("attempt") for k, g in attempts.groupby("task_id")}
    end_of_run = result.summary["run"]["end_time_s"]
    rows: list[tuple[int, str, float, float]] = []
    for rid, r in zip(ids, req.itertuples(), strict=False):
        start = _finite(r.start, end_of_run)
        rows.append((rid, "waiting for a web thread", r.arrival, start))
        rows.append((rid, "handler (web work)", start,
                     _finite(published.get(rid, r.end), end_of_run)))
        previous_end = None
        empty = attempts.iloc[:0]
        for a in by_task.get(task_of.get(rid, -1), empty).itertuples():
            if previous_end is not None:
                rows.append((rid, "back-off before retry", previous_end, a.enqueued))
            rows.append((rid, "waiting in the queue", a.enqueued, a.start))
            end = _finite(a.end, end_of_run)
            rows.append((rid, OUTCOME_SEGMENT.get(str(a.outcome), "attempt failed"), a.start, end))
            previous_end = end
        rows.append((rid, "response", r.end, r.end))
    frame = pd.DataFrame(rows, columns=["request_id", "kind", "start", "end"])
    arrival = req["arrival"].reindex(frame["request_id"]).to_numpy()
    frame["start"] -= arrival
    frame["end"] -= arrival
    keep = (frame["end"] > frame["start"] + 1e-9) | (frame["kind"] == "response")
    return frame[keep & frame["start"].notna()].reset_index(drop=True)


def _finite(value: float, default: float) -> float:
    return default if value is None or np.isnan(value) else float(value)


def journey_figure(result: Result, label: str, color: str = BLACK, n: int = 20) -> go.Figure:
    """Gantt of ~``n`` sampled requests: thread wait, handler, queue, attempts, back-offs."""
    ids = sample_requests(result, n)
    seg = journey_segments(result, ids)
    arrivals = result.requests.set_index("request_id")["arrival"]
    names = {rid: f"#{rid} (t={arrivals[rid]:.1f} s)" for rid in ids}
    fig = new_figure()
    for kind, kind_color in SEGMENTS.items():
        part = seg[seg["kind"] == kind]
        if len(part):
            fig.add_trace(go.Bar(
                y=part["request_id"].map(names), x=part["end"] - part["start"],
                base=part["start"], orientation="h", name=kind, marker_color=kind_color,
                hovertemplate="%{base:.3f} → +%{x:.3f} s<extra>" + kind + "</extra>"))
    sent = seg[seg["kind"] == "response"]
    fig.add_trace(go.Scatter(
        y=sent["request_id"].map(names), x=sent["start"], mode="markers",
        name="response sent", marker={"symbol": "diamond", "size": 11, "color": "white",
                                      "line": {"color": color, "width": 2.5}},
        hovertemplate="response at %{x:.3f} s<extra></extra>"))
    style(fig, f"Journey of {len(ids)} sampled requests — {label}",
          "seconds since the request arrived", "", height=260 + 22 * len(ids))
    fig.update_layout(barmode="overlay", hovermode="closest", legend={"y": 1.0})
    order = [names[i] for i in ids][::-1]
    fig.update_yaxes(categoryorder="array", categoryarray=order, tickmode="array", tickvals=order)
    return fig


# --- theory and load sweep --------------------------------------------------------------------


def theory_prediction(result: Result) -> dict[str, Any]:
    """Queueing-theory mean wait for the tier that queues (sync: web threads; async: workers)."""
    sc, mode = result.scenario, result.mode
    rate = sc.arrivals.rate
    if mode == "sync":
        servers, lam = sc.web.workers, rate
        mean = offered_load(sc, "sync")["web"] * servers / rate
    else:
        servers = sc.workers.count * sc.workers.concurrency
        lam, mean = rate * expected_attempts(sc), mean_of(sc.task.service)
    cv = cv_of(sc.task.service)
    model = "M/M/c" if abs(cv - 1) < 1e-9 and mode == "async" else "M/G/c (approx.)"
    try:
        wq = mgc_approx(lam, mean, cv, servers).wq if mean > 0 else 0.0
    except UnstableQueueError:
        return {"model": model, "wq": None, "note": "unstable (ρ ≥ 1)"}
    return {"model": model, "wq": wq, "note": f"{model}, c={servers}"}


def theory_figure(results: Results) -> go.Figure:
    """Simulated mean queue wait next to the M/M/c (or M/G/c) prediction."""
    fig = new_figure()
    labels = list(results)
    sim_waits = [results[k].summary["queue_wait_s"].get("mean") for k in labels]
    preds = [theory_prediction(results[k]) for k in labels]
    fig.add_trace(go.Bar(x=labels, y=sim_waits, name="simulated mean wait",
                         marker_color=[color_for(k, i) for i, k in enumerate(labels)],
                         text=[f"{w:.3g} s" if w is not None else "–" for w in sim_waits],
                         textposition="outside"))
    fig.add_trace(go.Bar(x=labels, y=[p["wq"] for p in preds], name="queueing theory",
                         marker={"color": "white", "line": {"color": BLACK, "width": 2},
                                 "pattern": {"shape": "/", "fgcolor": GREY}},
                         text=[f"{p['wq']:.3g} s<br>{p['note']}" if p["wq"] is not None
                               else p["note"] for p in preds], textposition="outside"))
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


# --- everything -------------------------------------------------------------------------------


BUILDERS = {
    "response_time_ecdf": response_time_ecdf, "response_time_over_time": response_time_over_time,
    "throughput": throughput_over_time, "queues": queue_depth, "consumer_lag": consumer_lag,
    "busy": busy, "retries": retries_over_time, "task_fates": fates_figure,
    "theory": theory_figure,
}


def figure_names(results: Results) -> list[str]:
    """Names of every chart of these runs (``journey_<label>`` once per series)."""
    return [*BUILDERS, *(f"journey_{_slug(label)}" for label in results)]


def build_figure(name: str, results: Results) -> go.Figure | None:
    """One chart by name; None when it does not apply (e.g. consumer lag without Kafka)."""
    if name in BUILDERS:
        return BUILDERS[name](results)
    for i, (label, result) in enumerate(results.items()):
        if name == f"journey_{_slug(label)}":
            return journey_figure(result, label, color_for(label, i))
    raise KeyError(f"no chart named {name!r}")


def figures_for(results: Results) -> dict[str, go.Figure]:
    """Every chart of a run or comparison, by file-friendly name (what the app and CLI show)."""
    figures = {name: build_figure(name, results) for name in figure_names(results)}
    return {name: fig for name, fig in figures.items() if fig is not None}


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in label.lower()).strip("_") or "run"
