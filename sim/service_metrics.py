"""Per-service results of a fan-out run (a scenario with ``services``).

The records get a ``service`` column (tasks, attempts) and the requests an ``event`` column
(the routing key each one published). The summary gets one ``services.<name>`` section per
service with the run-wide keys (tasks and their fates, task latency, queue wait, utilization,
time averages and maxima of its levels, Kafka lag), and the run-wide task figures are the sums of
the services' (``tasks.unroutable`` and ``tasks.to_alternate_exchange`` count the events that
reached no queue).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import describe, lag_summary, queue_waits, task_figures, task_latencies
from sim.model.services import LANE_LEVELS, Lane, ServiceSet, prefix


def add_service_columns(frames: dict[str, pd.DataFrame], services: ServiceSet) -> None:
    """Tag each task and attempt with its service, each request with its event."""
    names = pd.Index(services.names)
    codes = np.array(services.task_service, dtype=np.int8)
    tasks, attempts = frames["tasks"], frames["attempts"]
    tasks["service"] = pd.Categorical.from_codes(codes, categories=names)
    attempts["service"] = pd.Categorical.from_codes(
        codes[attempts["task_id"].to_numpy()], categories=names)
    frames["requests"]["event"] = pd.Categorical.from_codes(
        np.array(services.req_event, dtype=np.int8), categories=pd.Index(services.keys))


def lane_figures(lane: Lane, mode: str, end: float) -> dict[str, Any]:
    """What only the running lane knows: busy time, retries, refused publishes."""
    workers, levels = lane.scenario.workers, lane.rec.levels
    consumers = lane.broker.consumers if mode == "async" else []
    return {
        "busy": levels["worker_busy"].area_at(end),
        "slots": workers.count * workers.concurrency,
        "per_worker": [c.busy.area_at(end) / (c.concurrency * end) if end > 0 else 0.0
                       for c in consumers],
        "retries": lane.retries,
        "rejected": lane.rejected_publishes,
        "time_avg": {name: level.area_at(end) / end if end > 0 else 0.0
                     for name, level in levels.items()},
    }


def service_summary(name: str, frames: dict[str, pd.DataFrame], figures: dict[str, Any], *,
                    mode: str, warmup: float, end: float) -> dict[str, Any]:
    """The ``services.<name>`` section."""
    requests, ts = frames["requests"], frames["timeseries"]
    tasks = frames["tasks"]
    own = tasks[tasks["service"] == name]
    callers = requests.iloc[np.unique(own["request_id"].to_numpy())]
    start = prefix(name)
    out: dict[str, Any] = {
        "tasks": task_figures(own, figures["retries"], figures["rejected"]),
        "task_latency_s": describe(task_latencies(own, requests, warmup)),
        "queue_wait_s": describe(queue_waits(mode, own, callers if mode == "sync" else requests,
                                             warmup)),
        "utilization": {"workers": figures["busy"] / (figures["slots"] * end) if end > 0
                        else 0.0, "per_worker": figures["per_worker"]},
        "time_avg": figures["time_avg"],
        "max": {level: float(ts[f"{start}{level}_max"].max()) if len(ts) else 0.0
                for level in LANE_LEVELS},
    }
    lags = {c[len(start):]: ts[c] for c in ts.columns
            if c.startswith(f"{start}lag_p") and c.endswith("_max")}
    if mode == "async" and lags:
        out["lag"] = lag_summary(pd.DataFrame(lags))
    return out


def add_service_results(summary: dict[str, Any], frames: dict[str, pd.DataFrame],
                        services: ServiceSet, *, mode: str, warmup: float, end: float) -> None:
    """Per-service sections, and run-wide figures that add up the services'."""
    figures = {lane.name: lane_figures(lane, mode, end) for lane in services.lanes}
    summary["services"] = {
        name: service_summary(name, frames, fig, mode=mode, warmup=warmup, end=end)
        for name, fig in figures.items()}
    tasks = summary["tasks"]
    tasks["retries"] = sum(f["retries"] for f in figures.values())
    tasks["rejected_publishes"] = sum(f["rejected"] for f in figures.values())
    tasks["unroutable"] = services.unroutable
    tasks["to_alternate_exchange"] = services.alternate_routed
    slots = sum(f["slots"] for f in figures.values())
    busy = sum(f["busy"] for f in figures.values())
    summary["utilization"]["workers"] = busy / (slots * end) if end > 0 else 0.0
    if "time_avg" in summary:
        summary["time_avg"] = {k: v for k, v in summary["time_avg"].items()
                               if not k.startswith("svc.")}
    if services.unroutable:
        keys = ", ".join(repr(k) for k, r in zip(services.keys, services.routes, strict=True)
                         if not r)
        summary["warnings"].append(
            f"unroutable: {services.unroutable} events (routing key {keys}) matched no "
            f"binding and were dropped; bind a queue to them or set "
            f"broker.exchange.alternate_exchange")


TABLE_KEYS = (  # the per-service figures of the CLI table and services.csv
    ("tasks", "published"), ("tasks", "succeeded"), ("tasks", "failed"),
    ("tasks", "dead_lettered"), ("tasks", "lost"), ("tasks", "retries"),
    ("task_latency_s", "mean"), ("task_latency_s", "p95"), ("queue_wait_s", "mean"),
    ("utilization", "workers"), ("max", "queue_depth"), ("lag", "max"),
)


def service_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per service: its name and the figures of ``TABLE_KEYS``."""
    rows = []
    for name, section in (summary.get("services") or {}).items():
        row: dict[str, Any] = {"service": name}
        for part, key in TABLE_KEYS:
            if part in section:
                row[f"{part}.{key}"] = section[part].get(key)
        rows.append(row)
    return rows


__all__ = ["TABLE_KEYS", "add_service_columns", "add_service_results", "lane_figures",
           "service_rows", "service_summary"]
