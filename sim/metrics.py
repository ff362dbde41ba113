"""Summaries and time series computed from a run's records (pandas/numpy only).

Definitions (also on the About page):
- response time: request arrival -> the response leaves the web tier (success or error);
  answered requests only: timed-out requests are counted in ``timed_out`` and left out;
- user wait: every request that arrived, from its arrival until its user got an answer or
  stopped waiting (gave up at the client timeout, or was still waiting when the run ended: then
  the time until the end, a lower bound); the headline figure, since it leaves nobody out;
- task latency: request arrival -> the task's final success; failed tasks excluded;
- queue wait: first publish -> first start on a worker (sync: the wait for a web thread);
- throughput: responses completed in ``[0, duration]`` divided by ``duration``;
- utilization: busy time of the threads (slots) over their number × run length.
Requests that arrived before ``warmup`` are left out of means and percentiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.records import REQUEST_OUTCOMES, TASK_STATES

PERCENTILES = (50, 95, 99)


def describe(values: np.ndarray, with_max: bool = False) -> dict[str, float | None]:
    """mean, p50, p95, p99 (and max) of ``values``; None where there are no values."""
    values = values[~np.isnan(values)]
    keys = ["mean", *(f"p{p}" for p in PERCENTILES)] + (["max"] if with_max else [])
    if values.size == 0:
        return dict.fromkeys(keys)
    out: dict[str, float | None] = {"mean": float(values.mean())}
    for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES), strict=False):
        out[f"p{p}"] = float(v)
    if with_max:
        out["max"] = float(values.max())
    return out


def _counts(column: pd.Series, names: tuple[str, ...]) -> dict[str, int]:
    counts = column.value_counts()
    return {name: int(counts.get(name, 0)) for name in names}


def response_times(requests: pd.DataFrame, warmup: float = 0.0) -> np.ndarray:
    """Seconds each answered (not timed-out) request waited, after the warm-up."""
    answered = requests["outcome"].isin(["completed", "failed"]) & (requests["arrival"] >= warmup)
    rows = requests[answered]
    return (rows["end"] - rows["arrival"]).to_numpy()


def user_wait_of(requests: pd.DataFrame, end_time: float, timeout: float | None) -> np.ndarray:
    """Seconds each user waited, one value per request row: until the answer (success or
    error), until they gave up (``timeout``), or until the run ended (a lower bound)."""
    arrival, end = requests["arrival"].to_numpy(), requests["end"].to_numpy()
    stop = np.where(np.isnan(end), end_time, end)
    if timeout is not None:
        stop = np.minimum(stop, arrival + timeout)
    return np.maximum(stop - arrival, 0.0)


def user_waits(requests: pd.DataFrame, end_time: float, timeout: float | None,
               warmup: float = 0.0) -> np.ndarray:
    """:func:`user_wait_of` for every request that arrived after the warm-up."""
    return user_wait_of(requests[requests["arrival"] >= warmup], end_time, timeout)


def gave_up(requests: pd.DataFrame) -> pd.Series:
    """Whether each request's user went without a successful answer (error, time-out, or still
    waiting when the run ended)."""
    return requests["outcome"] != "completed"


def answered_share(requests: pd.DataFrame, warmup: float = 0.0) -> float | None:
    """Completed / arrived, over the requests that arrived after the warm-up."""
    rows = requests[requests["arrival"] >= warmup]
    return float((rows["outcome"] == "completed").mean()) if len(rows) else None


def task_latencies(tasks: pd.DataFrame, requests: pd.DataFrame, warmup: float = 0.0) -> np.ndarray:
    ok = tasks[tasks["state"] == "succeeded"]
    arrival = requests["arrival"].to_numpy()[ok["request_id"].to_numpy()]
    keep = arrival >= warmup
    return (ok["finished"].to_numpy() - arrival)[keep]


def queue_waits(mode: str, tasks: pd.DataFrame, requests: pd.DataFrame,
                warmup: float = 0.0) -> np.ndarray:
    if mode == "sync":
        rows = requests[requests["arrival"] >= warmup]
        return (rows["start"] - rows["arrival"]).to_numpy()
    arrival = requests["arrival"].to_numpy()[tasks["request_id"].to_numpy()]
    waits = (tasks["first_start"] - tasks["published"]).to_numpy()
    return waits[arrival >= warmup]


def reasons(tasks: pd.DataFrame, state: str) -> dict[str, int]:
    """How many tasks ended in ``state``, by reason."""
    rows = tasks.loc[tasks["state"] == state, "reason"].astype(str)
    return {str(k): int(v) for k, v in rows.value_counts().sort_index().items()}


def dead_letter_reasons(tasks: pd.DataFrame) -> dict[str, int]:
    return reasons(tasks, "dead_lettered")


def lag_summary(timeseries: pd.DataFrame) -> dict[str, Any] | None:
    """Kafka consumer lag: the largest backlog per partition (None without partitions)."""
    columns = sorted((c for c in timeseries if c.startswith("lag_p") and c.endswith("_max")),
                     key=lambda c: int(c[5:-4]))
    if not columns:
        return None
    per_partition = [int(timeseries[c].max()) if len(timeseries) else 0 for c in columns]
    return {"max": max(per_partition), "per_partition_max": per_partition}


def task_figures(tasks: pd.DataFrame, retries: int, rejected: int) -> dict[str, Any]:
    """The ``tasks`` section: how many were published, and where each one ended."""
    counts = _counts(tasks["state"], TASK_STATES)
    return {
        "published": len(tasks),
        "succeeded": counts["succeeded"],
        "failed": counts["failed"],
        "dead_lettered": counts["dead_lettered"],
        "lost": counts["lost"],
        "expired": counts["expired"],
        "dropped": counts["dropped"],
        "duplicates": int(tasks["duplicates"].sum()),
        "retries": retries,
        "in_queue": counts["in_queue"],
        "in_progress": counts["in_progress"],
        "dead_lettered_by_reason": dead_letter_reasons(tasks),
        "dropped_by_reason": reasons(tasks, "dropped"),
        "redeliveries": int(tasks["redeliveries"].sum()),
        "rejected_publishes": rejected,
    }


def summarize(frames: dict[str, pd.DataFrame], *, mode: str, duration: float, warmup: float,
              end_time: float, busy_area: dict[str, float], capacity: dict[str, int],
              retries: int, warnings: list[str],
              per_worker: list[float] | None = None, rejected: int = 0,
              timeout: float | None = None) -> dict[str, Any]:
    """The summary dict (its keys are listed in docs/architecture.md "Summary keys")."""
    requests, tasks = frames["requests"], frames["tasks"]
    req_counts = _counts(requests["outcome"], REQUEST_OUTCOMES)
    completed_in_window = int(((requests["outcome"] == "completed")
                               & (requests["end"] <= duration)).sum())
    utilization = {
        name: (busy_area[name] / (capacity[name] * end_time) if end_time > 0 else 0.0)
        for name in capacity
    }
    utilization["per_worker"] = list(per_worker or [])
    summary = {
        "mode": mode,
        "requests": {"arrived": len(requests), **{k: req_counts[k] for k in
                     ("completed", "failed", "timed_out", "shed", "in_flight")},
                     "retried": int(requests["client_retry"].sum()),
                     "answered_share": answered_share(requests, warmup)},
        "response_time_s": describe(response_times(requests, warmup), with_max=True),
        "user_wait_s": describe(user_waits(requests, end_time, timeout, warmup), with_max=True),
        "throughput_rps": completed_in_window / duration,
        "tasks": task_figures(tasks, retries, rejected),
        "task_latency_s": describe(task_latencies(tasks, requests, warmup)),
        "queue_wait_s": describe(queue_waits(mode, tasks, requests, warmup)),
        "utilization": utilization,
        "run": {"end_time_s": end_time, "duration_s": duration, "warmup_s": warmup},
        "warnings": list(warnings),
    }
    lag = lag_summary(frames["timeseries"]) if mode == "async" else None
    if lag is not None:
        summary["lag"] = lag
    return summary
