"""Resilience figures (calls, amplification, wasted calls, goodput, recovery) on hand-built
records, counted here a second way by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.resilience import (
    goodput_after_faults,
    resilience_summary,
    wasted_calls,
    window_rates,
)
from sim.scenario import from_dict


def frames(requests: list[tuple], tasks: list[tuple], attempts: list[tuple]) -> dict:
    """requests: (arrival, end, outcome, client_retry); tasks: (request_id, state, finished,
    reason); attempts: (task_id, attempt, start, outcome)."""
    req = pd.DataFrame(requests, columns=["arrival", "end", "outcome", "client_retry"])
    tsk = pd.DataFrame(tasks, columns=["request_id", "state", "finished", "reason"])
    att = pd.DataFrame(attempts, columns=["task_id", "attempt", "start", "outcome"])
    return {"requests": req, "tasks": tsk, "attempts": att}


SCENARIO = from_dict({"duration": 60, "arrivals": {"rate": 2}, "web": {"timeout": 10}})


def test_calls_amplification_and_fast_failures():
    f = frames(
        [(0.0, 1.0, "completed", False), (1.0, 30.0, "timed_out", False)],
        [(0, "succeeded", 1.0, ""), (1, "failed", 30.0, "budget")],
        [(0, 1, 0.0, "success"), (1, 1, 1.0, "failure"), (1, 2, 2.0, "short_circuited"),
         (1, 3, 12.0, "failure")],
    )
    s = resilience_summary(SCENARIO, "sync", f, [], 40.0, {"opened": 1, "time_open_s": 5.0})
    assert s["downstream"]["calls"] == 3  # the short-circuited attempt never reached it
    assert s["amplification"] == pytest.approx(3 / 2)
    assert s["circuit_breaker"] == {"opened": 1, "time_open_s": 5.0, "fast_failures": 1}
    assert s["retries"]["denied_by_budget"] == 1
    assert s["downstream"]["wasted_calls"] == 1  # t=12 ≥ 1 + 10: its user had gone
    assert s["recovery_s"] is None  # no fault


def test_a_deadline_makes_late_calls_wasted_even_for_answered_users():
    scenario = from_dict({"arrivals": {"rate": 1, "deadline": 3}})
    f = frames([(0.0, 9.0, "completed", False)], [(0, "succeeded", 9.0, "")],
               [(0, 1, 0.5, "failure"), (0, 2, 2.9, "failure"), (0, 3, 3.0, "success")])
    assert wasted_calls(scenario, f["requests"], f["tasks"], f["attempts"]) == 1


def test_window_rates_count_whole_windows_only():
    starts, rates = window_rates(np.array([0.1, 0.2, 5.5, 12.0]), 0.0, 12.0, 5.0)
    assert list(starts) == [0.0, 5.0] and list(rates) == [0.4, 0.2]


def test_recovery_is_the_first_window_back_at_ninety_percent():
    # 2 requests/s; goodput 0 for 10 s after the fault ends at t=20, then 2/s again
    good = np.concatenate([np.arange(0, 20, 0.5), np.arange(30, 60, 0.5)])
    windows = [{"start": 15.0, "end": 20.0}]
    recovery, best = goodput_after_faults(SCENARIO, good, windows)
    assert recovery == 10.0 and best == pytest.approx(1.0)
    never, best = goodput_after_faults(SCENARIO, np.arange(0, 20, 0.5), windows)
    assert never is None and best == 0.0
    at_once, _ = goodput_after_faults(SCENARIO, np.arange(0, 60, 0.5), windows)
    assert at_once == 0.0


def test_fault_amplification_counts_only_calls_inside_fault_windows():
    f = frames(
        [(float(t), float(t) + 0.1, "completed", False) for t in range(4)],
        [(r, "succeeded", float(r) + 0.1, "") for r in range(4)],
        [(0, 1, 0.0, "success"), (1, 1, 1.0, "failure"), (1, 2, 1.5, "failure"),
         (1, 3, 1.8, "success"), (2, 1, 2.0, "success"), (3, 1, 3.5, "success")],
    )
    s = resilience_summary(SCENARIO, "sync", f, [{"start": 1.0, "end": 2.0}], 10.0, {})
    assert s["downstream"]["fault_amplification"] == pytest.approx(3.0)
    assert s["amplification"] == pytest.approx(6 / 4)
