"""The capacity planner's widgets and result: which knob, which objectives, and the answer of
:func:`sim.experiment.capacity_plan` with every setting it tried. The search runs as an
experiment of the session (:mod:`ui.experiment_guard`): bounded before it starts, stopped on a
rerun, a closed tab or the time budget, keeping the settings it had tried."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from sim.experiment import Plan, capacity_plan
from sim.scenario import Scenario
from ui.experiment_guard import Outcome, run_experiment, show_stopped

KNOBS = {"workers.count": "Worker processes (workers.count)",
         "workers.concurrency": "Slots per worker (workers.concurrency)",
         "web.workers": "Web threads (web.workers)"}
OBJECTIVES = {"user_wait_s.p95": ("p95 user wait", "s"),
              "user_wait_s.mean": ("mean user wait", "s"),
              "response_time_s.p95": ("p95 response time (answered only)", "s"),
              "response_time_s.mean": ("mean response time", "s"),
              "task_latency_s.p95": ("p95 task latency", "s"),
              "queue_wait_s.p95": ("p95 queue wait", "s"),
              "queue_wait_s.mean": ("mean queue wait", "s")}
DEFAULT_TARGETS = {"user_wait_s.p95": 2.0, "user_wait_s.mean": 1.0,
                   "response_time_s.p95": 2.0, "response_time_s.mean": 1.0,
                   "task_latency_s.p95": 30.0, "queue_wait_s.p95": 5.0,
                   "queue_wait_s.mean": 1.0}


def objective(index: int, prefix: str) -> tuple[str, float]:
    """One SLO: a figure and its upper limit (their values are in the session state, filled
    from the link by :func:`ui.planner_link.restore`)."""
    from ui.planner_link import target_default

    default = ("user_wait_s.p95", "task_latency_s.p95")[min(index, 2) - 1]
    st.session_state.setdefault(f"{prefix}slo{index}", default)
    st.session_state.setdefault(f"{prefix}target{index}",
                                DEFAULT_TARGETS[st.session_state[f"{prefix}slo{index}"]])
    c1, c2 = st.columns([3, 2])
    key = c1.selectbox(f"Objective {index}", list(OBJECTIVES), key=f"{prefix}slo{index}",
                       format_func=lambda k: f"{OBJECTIVES[k][0]} — {k}",
                       on_change=target_default, args=(prefix, index),
                       help="The figure that must stay at or below the limit. It must hold "
                       "for the upper end of its 95 % confidence interval, not just on average.")
    target = c2.number_input(f"At most ({OBJECTIVES[key][1]})", min_value=0.001,
                             step=0.1, key=f"{prefix}target{index}",
                             help="The limit, in seconds.")
    return key, float(target)


def run_plan(scenario: Scenario, slo: dict[str, float], knob: str, low: int, high: int,
             reps: int, mode: str) -> Outcome[Plan]:
    """The plan with a progress bar: its result (an incomplete plan when the search was
    stopped, None when it could not run; the page says why) and the stop message."""
    return run_experiment(
        "search", "Searching",
        lambda opts: capacity_plan(scenario, slo, knob, (low, high), reps, mode, options=opts),
        lambda done: ("Shown: the settings it had finished." if done is not None else
                      "No setting had finished."))


def show_plan(plan: Plan | None, key: str, stopped: str | None = None, note: str = "") -> None:
    """The answer in words, the chart of every setting tried (``note``: its export caption),
    and the table behind it (after the message of a stopped search)."""
    from sim.charts.experiment import plan_figure
    from ui.views import chart

    show_stopped(stopped)
    if plan is None:
        return
    (st.success if plan.answer is not None else st.warning)(plan.sentence())
    if not plan.monotone:
        st.info("A smaller setting met the objectives where a larger one did not: the "
                "figures are noisy here. Use more replications.")
    chart(plan_figure(plan.points, plan.knob, plan.slo, plan.answer), "capacity_plan", key,
          note=note)
    st.dataframe(_table(plan), hide_index=True)


def _table(plan: Plan) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for _, point in plan.points.iterrows():
        row = {plan.knob: point["value"], "meets every objective": bool(point["meets"]),
               "tried as": int(point["order"])}
        for slo in plan.slo:
            row[f"{slo} mean"] = point[f"{slo} mean"]
            row[f"{slo} upper 95 %"] = point[f"{slo} ci_high"]
        rows.append(row)
    return pd.DataFrame(rows)


__all__ = ["KNOBS", "OBJECTIVES", "objective", "run_plan", "show_plan"]
