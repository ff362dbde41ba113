"""A sentence with the key numbers of each chart: the text alternative a screen reader reads
for the chart, and what the app's "In numbers" button shows ("sync: half the requests within
610 ms, 95 % within 1.06 s; async: ...").

Built from the runs' summaries where they have the number, else from what the chart draws (the
highest point of each line), so every chart has one. Never raises: a chart without a sentence
is better than a page with an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from sim.runner import Result

Results = Mapping[str, Result]


def _s(x: Any) -> str:
    """Seconds for people: 64 ms, 1.06 s."""
    if x is None:
        return "–"
    x = float(x)
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.3g} s"


def _n(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _each(results: Results, words: Callable[[str, Result], str | None]) -> str:
    parts = [w for label, r in results.items() if (w := words(label, r))]
    return "; ".join(parts) + "." if parts else ""


def _ecdf(results: Results, fig: go.Figure | None) -> str:
    """Over every user who arrived (as the chart counts them): the answered share, and when
    half, 95 % and 99 % of all users had their answer (or that they never did)."""
    from sim.charts.response import answered_curve, not_reached, pct

    def words(label: str, r: Result) -> str:
        curve = answered_curve(r)
        if not curve["arrived"]:
            return ""
        marks = curve["marks"]
        said = [f"{share} within {_s(marks[key])}" if marks[key] is not None
                else not_reached(key, curve["share"])
                for key, share in (("p50", "half of all users"), ("p95", "95 %"),
                                   ("p99", "99 %"))]
        return f"{label}: {pct(curve['share'])} of all users answered; " + ", ".join(said)
    return _each(results, words)


def _breaker(results: Results, fig: go.Figure | None) -> str:
    def words(label: str, r: Result) -> str | None:
        cb = r.summary.get("circuit_breaker")
        if not cb or "opened" not in cb:
            return None
        return (f"{label}: the breaker opened {cb['opened']} times and stayed open "
                f"{_s(cb.get('time_open_s', 0))} in all")
    return _each(results, words)


def _band(results: Results, fig: go.Figure | None) -> str:
    """A wait ECDF drawn as x = wait, y = share: when half and 95 % of the users were done."""
    if fig is None:
        return ""
    parts = []
    for trace in fig.data:
        if trace.type != "scatter" or trace.fill or not trace.name or trace.x is None:
            continue
        x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
        if x.size < 2:
            continue
        half, most = (float(np.interp(q, y, x)) for q in (0.5, 0.95))
        parts.append(f"{trace.name}: half of the users within {_s(half)}, 95 % within "
                     f"{_s(most)}")
    return "; ".join(parts) + "." if parts else ""


def _panels(results: Results, fig: go.Figure | None) -> str:
    """Small multiples (one panel per figure, a trace per panel): each panel's title and the
    values it shows, e.g. 'p95 user wait: A 1.2, B 0.8'."""
    if fig is None:
        return ""
    titles = [a.text for a in fig.layout.annotations or () if a.text]
    parts = []
    for i, trace in enumerate(fig.data):
        if trace.x is None or trace.y is None:
            continue
        head = trace.name or (titles[i] if i < len(titles) else "")
        pairs = [(f"at {x:g}: " if isinstance(x, int | float | np.number) else f"{x} ")
                 + _n(float(y)) for x, y in zip(trace.x, trace.y, strict=False)
                 if x is not None and y is not None and np.isfinite(float(y))][:10]
        if pairs:
            parts.append(f"{head}: " + ", ".join(pairs))
    return "; ".join(parts) + "." if parts else ""


def _busy(results: Results, fig: go.Figure | None) -> str:
    def words(label: str, r: Result) -> str:
        util, sc = r.summary.get("utilization") or {}, r.scenario
        parts = [f"web threads busy {util.get('web', 0):.0%} of the time "
                 f"({sc.web.workers} threads)"]
        if r.mode == "async":
            parts.append(f"worker slots {util.get('workers', 0):.0%} "
                         f"({sc.workers.count * sc.workers.concurrency} slots)")
        return f"{label}: " + ", ".join(parts)
    return _each(results, words)


def _fates(results: Results, fig: go.Figure | None) -> str:
    from sim.charts.tasks import task_fates

    def words(label: str, r: Result) -> str:
        counts = task_fates(r.tasks)
        total = max(1, sum(counts.values()))
        return f"{label}: " + ", ".join(f"{n:,} {fate} ({n / total:.0%})"
                                        for fate, n in counts.items() if n)
    return _each(results, words)


def _retries(results: Results, fig: go.Figure | None) -> str:
    def words(label: str, r: Result) -> str:
        tasks, req = r.summary.get("tasks") or {}, r.summary.get("requests") or {}
        return (f"{label}: {tasks.get('retries', 0):,} task retries, "
                f"{req.get('retried', 0):,} users resending")
    return _each(results, words)


def _throughput(results: Results, fig: go.Figure | None) -> str:
    def words(label: str, r: Result) -> str:
        req = r.summary.get("requests") or {}
        bad = req.get("failed", 0) + req.get("timed_out", 0)
        return (f"{label}: {r.summary.get('throughput_rps', 0):.3g} responses per second"
                + (f", {bad:,} errors or time-outs" if bad else ""))
    return _each(results, words)


def _theory(results: Results, fig: go.Figure | None) -> str:
    from sim.charts.theory import theory_prediction

    def words(label: str, r: Result) -> str:
        wait = (r.summary.get("queue_wait_s") or {}).get("mean")
        wq = theory_prediction(r).get("wq")
        return (f"{label}: simulated mean wait {_s(wait)}, queueing theory "
                + (_s(wq) if wq is not None else "has no formula here"))
    return _each(results, words)


def _lines(results: Results, fig: go.Figure | None) -> str:
    """Any line chart: the highest point of each named line (what a reader looks for)."""
    if fig is None:
        return ""
    parts = []
    x_title = (fig.layout.xaxis.title.text or "x").split(" (")[0]
    y_title = (fig.layout.yaxis.title.text or "").split(" (")[0]
    for trace in fig.data:
        if trace.type != "scatter" or "lines" not in (trace.mode or "") or not trace.name:
            continue
        if str(trace.name).endswith("(before)"):
            continue
        x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
        if y.size == 0 or not np.isfinite(y).any():
            continue
        k = int(np.nanargmax(y))
        what = f" {y_title}" if y_title else ""
        parts.append(f"{trace.name}: highest{what} {_n(float(y[k]))} at {x_title} "
                     f"{_n(float(x[k]))}")
    return "; ".join(parts) + "." if parts else ""


def _bars(results: Results, fig: go.Figure | None) -> str:
    if fig is None:
        return ""
    parts = []
    for trace in fig.data:
        if trace.type == "bar" and trace.name and trace.x is not None:
            values = [f"{x} {_n(float(y))}" for x, y in zip(trace.x, trace.y, strict=False)
                      if y is not None][:8]
            parts.append(f"{trace.name}: " + ", ".join(values))
    return "; ".join(parts) + "." if parts else ""


def _journey(results: Results, fig: go.Figure | None) -> str:
    if fig is None:
        return ""
    kinds = [t.name for t in fig.data if t.type == "bar" and t.name]
    ends = [float(x) for t in fig.data if t.type == "scatter"
            for x in (t.x if t.x is not None else [])]
    longest = f"; the slowest answered after {_s(max(ends))}" if ends else ""
    return (f"Where the time of {len(ends)} sampled requests went: "
            + ", ".join(kinds) + longest + ".")


def _meta(results: Results, fig: go.Figure | None) -> str:
    """A chart that carries its own sentence (the charts across replications)."""
    meta = fig.layout.meta if fig is not None else None
    return str(meta.get("numbers", "")) if isinstance(meta, dict) else ""


BY_NAME: dict[str, Callable[[Results, go.Figure | None], str]] = {
    "response_time_ecdf": _ecdf, "busy": _busy, "task_fates": _fates, "retries": _retries,
    "throughput": _throughput, "theory": _theory, "worker_share": _bars,
    "response_time_over_time": _lines, "queues": _lines, "consumer_lag": _lines,
    "load_sweep": _lines, "breaker": _breaker, "ecdf_band": _band,
    "kpi_error_bars": _panels, "capacity_plan": _panels, "service_latency": _bars,
}


def summary(name: str, results: Results, fig: go.Figure | None = None) -> str:
    """The key numbers of chart ``name`` of ``results`` in one or two sentences."""
    builder = (_journey if name.startswith("journey_") else _meta if name.endswith("_reps")
               else BY_NAME.get(name, _lines))
    try:
        text = builder(results, fig)
    except Exception:  # a sentence is a help, never a reason for an error on the page
        text = ""
    return text or (_lines(results, fig) if builder is not _lines else "") or \
        "No numbers to summarize for this chart."
