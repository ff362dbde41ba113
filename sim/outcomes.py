"""What users and tasks got, in the categories every chart and summary sentence uses: the
answered curve over every user who arrived (answered within x, levelling off at the answered
share), and the fate of every task (succeeded first try, after retries, after a redelivery,
run twice; failed, dead-lettered, dropped or lost with its reason; unfinished).

Plain pandas and numpy (no plotly), so replications computed in worker processes use the very
same categories as the charts of one run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PERCENTILES = ("p50", "p95", "p99")
FIRST_TRY = "succeeded first try"
SUCCESS = (FIRST_TRY, "succeeded after retries", "succeeded after redelivery",
           "succeeded, but ran twice")
REASONS = {  # engine reason -> words for people
    "max_retries": "out of retries", "publish_rejected": "broker refused it",
    "worker_lost": "worker died", "WorkerLostError": "pool process died",
    "TimeLimitExceeded": "hard time limit", "SoftTimeLimitExceeded": "soft time limit",
    "rejected": "out of retries", "maxlen": "queue full", "expired": "expired (TTL)",
    "delivery_limit": "delivery limit",
}
ENDS = {"failed": "failed", "dead_lettered": "dead-lettered", "dropped": "dropped",
        "lost": "lost"}
_BY_STATE = {"failed": ("max_retries", "publish_rejected", "WorkerLostError",
                        "TimeLimitExceeded", "SoftTimeLimitExceeded"),
             "dead_lettered": ("max_retries", "maxlen", "expired", "delivery_limit"),
             "dropped": ("maxlen", "expired", "delivery_limit"),
             "lost": ("worker_lost",)}
UNFINISHED = "unfinished when the run ended"
FATES: tuple[str, ...] = (  # every category, in the order they are drawn
    *SUCCESS,
    *(f"{ENDS[state]}: {REASONS[reason]}" for state, reasons in _BY_STATE.items()
      for reason in reasons),
    UNFINISHED,
)
def fate_label(state: str, reason: str) -> str:
    """Words for a task's end state and reason, e.g. 'dead-lettered: queue full'."""
    if state not in ENDS:
        return UNFINISHED
    return f"{ENDS[state]}: {REASONS.get(reason, reason or 'other')}"


def task_fates(tasks: pd.DataFrame) -> dict[str, int]:
    """How many tasks ended in each category (non-zero ones, in drawing order; every task is
    counted once). Successes are split by what it took: retries, a redelivery, a duplicate."""
    state = tasks["state"].astype(str)
    ok = state == "succeeded"
    zero = pd.Series(0, index=tasks.index)
    dup = tasks.get("duplicates", zero) > 0
    redelivered = tasks.get("redeliveries", zero) > 0
    retried = tasks["attempts"] > 1
    counts = {
        FIRST_TRY: int((ok & ~dup & ~redelivered & ~retried).sum()),
        "succeeded after retries": int((ok & ~dup & ~redelivered & retried).sum()),
        "succeeded after redelivery": int((ok & ~dup & redelivered).sum()),
        "succeeded, but ran twice": int((ok & dup).sum()),
    }
    reason = tasks["reason"].astype(str) if "reason" in tasks else pd.Series("", tasks.index)
    ended = state.isin(list(ENDS))
    labels = [fate_label(s, r) for s, r in zip(state[ended], reason[ended], strict=True)]
    for label, n in pd.Series(labels, dtype=object).value_counts().items():
        counts[str(label)] = counts.get(str(label), 0) + int(n)
    counts[UNFINISHED] = int(state.isin(["in_queue", "in_progress"]).sum())
    order = {label: k for k, label in enumerate(FATES)}
    ranked = sorted(counts, key=lambda lb: order.get(lb, len(order)))
    return {label: counts[label] for label in ranked if counts[label] or label == FIRST_TRY}



def answered_curve(result: Any) -> dict[str, Any]:
    """The response-time ECDF over *every* request that arrived after the warm-up: the sorted
    times of the completed ones, each step worth 1 / arrived, so the curve levels off at the
    answered share; the p50/p95/p99 of all users (None where the curve never gets there)."""
    req = result.requests
    req = req[req["arrival"] >= result.scenario.warmup]
    done = req[req["outcome"] == "completed"]
    times = np.sort((done["end"] - done["arrival"]).to_numpy())
    arrived = len(req)
    everyone = np.concatenate([times, np.full(arrived - times.size, np.inf)])
    marks: dict[str, float | None] = {}
    for key in PERCENTILES:
        value = (float(np.quantile(everyone, int(key[1:]) / 100, method="inverted_cdf"))
                 if arrived else np.inf)
        marks[key] = value if np.isfinite(value) else None
    share = times.size / arrived if arrived else 0.0
    return {"times": times, "arrived": arrived, "share": share, "marks": marks}



__all__ = ["ENDS", "FATES", "FIRST_TRY", "PERCENTILES", "REASONS", "SUCCESS", "UNFINISHED",
           "answered_curve", "fate_label", "task_fates"]
