"""Request journeys: a Gantt of about 20 sampled requests showing where each one's time goes
(waiting for a web thread, the handler, the publish, the queue, each attempt and each back-off).

In async mode the engine draws the handler's own time and the publish time as one interval (the
records give its start and the moment the job was published). The publish is shown as its own
segment only when the scenario's ``web.publish`` is a constant, so its length is known exactly
for every request; otherwise the interval is one segment labelled "handler + publish".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.charts.base import BLACK, end_time, new_figure, style
from sim.charts.palette import SEGMENT_STYLES
from sim.runner import Result

SEGMENTS = {kind: color for kind, (color, _pattern) in SEGMENT_STYLES.items()}  # legend order
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


def publish_time(result: Result) -> float | None:
    """The publish time of every async request when it is known exactly (a constant
    ``web.publish``), else None. Sync requests publish nothing."""
    if result.mode != "async":
        return None
    spec = result.scenario.web.publish
    return float(spec.value) if spec.dist == "constant" else None


def journey_segments(result: Result, ids: list[int]) -> pd.DataFrame:
    """Where each request's time goes: (request, kind, start, end), in s after its arrival."""
    req = result.requests.set_index("request_id").loc[ids]
    tasks = result.tasks[result.tasks["request_id"].isin(ids)]
    task_of = dict(zip(tasks["request_id"], tasks["task_id"], strict=False))
    published = dict(zip(tasks["request_id"], tasks["published"], strict=False))
    attempts = result.attempts[result.attempts["task_id"].isin(tasks["task_id"])]
    by_task = {k: g.sort_values("attempt") for k, g in attempts.groupby("task_id")}
    end_of_run = end_time(result)
    publish = publish_time(result)
    rows: list[tuple[int, str, float, float]] = []
    for rid, r in zip(ids, req.itertuples(), strict=False):
        start = finite(r.start, end_of_run)
        rows.append((rid, "waiting for a web thread", r.arrival, start))
        rows += handler_rows(rid, start, finite(published.get(rid, r.end), end_of_run),
                             result.mode, publish)
        previous_end = None
        empty = attempts.iloc[:0]
        for a in by_task.get(task_of.get(rid, -1), empty).itertuples():
            if previous_end is not None:
                rows.append((rid, "back-off before retry", previous_end, a.enqueued))
            rows.append((rid, "waiting in the queue", a.enqueued, a.start))
            end = finite(a.end, end_of_run)
            rows.append((rid, OUTCOME_SEGMENT.get(str(a.outcome), "attempt failed"), a.start, end))
            previous_end = end
        rows.append((rid, "response", r.end, r.end))
    frame = pd.DataFrame(rows, columns=["request_id", "kind", "start", "end"])
    arrival = req["arrival"].reindex(frame["request_id"]).to_numpy()
    frame["start"] -= arrival
    frame["end"] -= arrival
    keep = (frame["end"] > frame["start"] + 1e-9) | (frame["kind"] == "response")
    return frame[keep & frame["start"].notna()].reset_index(drop=True)


def handler_rows(rid: int, start: float, end: float, mode: str, publish: float | None
                 ) -> list[tuple[int, str, float, float]]:
    """The web thread's work on a request: the handler, and in async mode the publish — split
    off when its (constant) length is known, else one "handler + publish" segment."""
    if mode != "async":
        return [(rid, "handler (web work)", start, end)]
    if publish is None:
        return [(rid, "handler + publish (web work)", start, end)]
    split = max(start, end - publish)
    return [(rid, "handler (web work)", start, split), (rid, "publishing the job", split, end)]


def finite(value: float, default: float) -> float:
    return default if value is None or np.isnan(value) else float(value)


def journey_figure(result: Result, label: str, color: str = BLACK, n: int = 20) -> go.Figure:
    """Gantt of ~``n`` sampled requests: thread wait, handler, publish, queue, attempts,
    back-offs."""
    ids = sample_requests(result, n)
    seg = journey_segments(result, ids)
    arrivals = result.requests.set_index("request_id")["arrival"]
    names = {rid: f"#{rid} (t={arrivals[rid]:.1f} s)" for rid in ids}
    fig = new_figure()
    for kind, (kind_color, pattern) in SEGMENT_STYLES.items():
        part = seg[seg["kind"] == kind]
        if len(part):
            fig.add_trace(go.Bar(
                y=part["request_id"].map(names), x=part["end"] - part["start"],
                base=part["start"], orientation="h", name=kind,
                marker={"color": kind_color, "pattern": {
                    "shape": pattern, "fillmode": "overlay", "fgcolor": "rgba(0,0,0,0.6)",
                    "size": 6, "solidity": 0.35}},
                hovertemplate="%{base:.3f} → +%{x:.3f} s<extra>" + kind + "</extra>"))
    sent = seg[seg["kind"] == "response"]
    fig.add_trace(go.Scatter(
        y=sent["request_id"].map(names), x=sent["start"], mode="markers",
        name="response sent", marker={"symbol": "diamond", "size": 11, "color": "white",
                                      "line": {"color": color, "width": 2.5}},
        hovertemplate="response at %{x:.3f} s<extra></extra>"))
    style(fig, f"Journey of {len(ids)} sampled requests — {label}",
          "seconds since the request arrived", "", height=260 + 22 * len(ids))
    fig.update_layout(barmode="overlay", hovermode="closest")
    order = [names[i] for i in ids][::-1]
    fig.update_yaxes(categoryorder="array", categoryarray=order, tickmode="array", tickvals=order)
    return fig
