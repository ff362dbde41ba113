"""The fate of every task: succeeded (first try, after retries, after a redelivery, run twice),
failed, dead-lettered, dropped or lost (each with its reason), or unfinished when the run
stopped.

Drawn as one row per fate and one bar per run (in the run's fixed colour), each with its count
and share written next to it, so that four lost tasks out of a thousand are as easy to read as
the thousand that succeeded.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sim.charts.base import Results, color_for, new_figure, style

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
EXPLAIN = {
    FIRST_TRY: "done at the first attempt",
    "succeeded after retries": "one or more attempts failed, then a retry succeeded",
    "succeeded after redelivery": "the broker delivered it again (worker crash, visibility "
                                  "timeout or rebalance) and it then succeeded",
    "succeeded, but ran twice": "it succeeded, but another copy ran too (a duplicate)",
    "failed: out of retries": "every attempt failed; the task was given up",
    "failed: broker refused it": "the broker did not accept the message (outage or full "
                                 "queue), so the request failed",
    "failed: pool process died": "the pool process running it died (WorkerLostError) and "
                                 "the message was acknowledged, not requeued",
    "failed: hard time limit": "it ran past time_limit: the process was killed "
                               "(TimeLimitExceeded); never retried",
    "failed: soft time limit": "it ran past soft_time_limit and did not retry on it",
    "dead-lettered: out of retries": "every attempt failed; parked in the dead-letter queue",
    "dead-lettered: queue full": "the queue was at its max length; the message was dropped "
                                 "to the dead-letter queue",
    "dead-lettered: expired (TTL)": "it waited longer than the message TTL",
    "dead-lettered: delivery limit": "delivered too many times (quorum-queue limit)",
    "dropped: queue full": "the queue was at its max length and no dead-letter exchange "
                           "took the message: discarded",
    "dropped: expired (TTL)": "it waited longer than the message TTL; no dead-letter exchange",
    "dropped: delivery limit": "delivered too many times; no dead-letter exchange",
    "lost: worker died": "the worker died mid-task after an early ack: nobody runs it again",
    UNFINISHED: "still queued or running when the simulation stopped",
}


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


def fates_figure(results: Results) -> go.Figure:
    """One row per fate, one bar per run, with count and share of that run's tasks."""
    counts = {label: task_fates(r.tasks) for label, r in results.items()}
    order = {label: k for k, label in enumerate(FATES)}
    fates = sorted({f for c in counts.values() for f in c},
                   key=lambda f: (order.get(f, len(order)), f))
    rows = fates[::-1]  # first fate on top
    fig = new_figure()
    top = max([v for c in counts.values() for v in c.values()] or [1])
    # horizontal bars stack upwards: add the runs in reverse so the first one is on top
    for i, (label, fate_counts) in reversed(list(enumerate(counts.items()))):
        total = max(1, sum(fate_counts.values()))
        values = [fate_counts.get(f, 0) for f in rows]
        fig.add_trace(go.Bar(
            y=rows, x=values, name=f"{label} ({total:,} tasks)", orientation="h",
            marker_color=color_for(label, i, results), textposition="outside", cliponaxis=False,
            text=[f"{v:,} ({v / total:.0%})" if v and v / total >= 0.005 else f"{v:,}"
                  for v in values],
            customdata=[EXPLAIN.get(f, f) for f in rows],
            hovertemplate=f"{label}: %{{x:,}} tasks<br>%{{customdata}}<extra></extra>"))
    many = len(counts)
    style(fig, "What happened to every task", "tasks", "",
          height=170 + len(rows) * (14 + 22 * many))
    fig.update_layout(barmode="group", hovermode="closest", bargap=0.25,
                      legend_traceorder="reversed")
    fig.update_xaxes(range=[0, top * 1.25])
    return fig
