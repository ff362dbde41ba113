"""The fate of every task: succeeded (first try, after retries, after a redelivery, run twice),
failed, dead-lettered, dropped or lost (each with its reason), or unfinished when the run
stopped.

Drawn as one row per fate and one bar per run (in the run's fixed colour), each with its count
and share written next to it, so that four lost tasks out of a thousand are as easy to read as
the thousand that succeeded.
"""

from __future__ import annotations

import plotly.graph_objects as go

from sim.charts.base import Results, color_for, new_figure, style
from sim.outcomes import (  # noqa: F401  (re-exported)
    ENDS,
    FATES,
    FIRST_TRY,
    REASONS,
    SUCCESS,
    UNFINISHED,
    fate_label,
    task_fates,
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
