"""Resilience figures from a run's records: downstream calls, amplification, wasted work,
goodput and how long it took to recover after a fault (pandas/numpy only).

Definitions (also on the About page):
- a downstream call is an attempt that reached the service (an attempt refused by an open
  circuit breaker is a fast failure, not a call); a first attempt is attempt number 1 of a task;
- amplification: downstream calls / first attempts (1.0 = no retries; an open breaker can take
  it below 1);
- wasted call: a call started after its user had stopped waiting (a sync request that had timed
  out) or after the request's deadline (``arrivals.deadline``);
- goodput: useful answers per second: requests answered successfully (sync) or tasks done
  (async, where the answer is a "202 accepted" and the work is the task), in windows of
  ``WINDOW_S`` seconds;
- recovery_s: after the last fault window ends, the time until goodput is back to at least
  ``RECOVERED_SHARE`` of the arrival rate in a window (None without a fault that ends, or if it
  never is before arrivals stop).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.schema import Scenario

WINDOW_S = 5.0  # goodput, call-rate and amplification windows: long enough to smooth Poisson
RECOVERED_SHARE = 0.9  # "back within 10 % of the arrival rate"


def is_call(attempts: pd.DataFrame) -> np.ndarray:
    """Attempts that reached the downstream (not refused by an open breaker)."""
    return (attempts["outcome"] != "short_circuited").to_numpy()


def is_first(attempts: pd.DataFrame) -> np.ndarray:
    return (attempts["attempt"] == 1).to_numpy()


def ratio(top: float, bottom: float) -> float | None:
    return float(top) / float(bottom) if bottom else None


def user_gone_at(scenario: Scenario, requests: pd.DataFrame) -> np.ndarray:
    """Per request: when its user stopped waiting for the work (inf: never). A timed-out user
    left at arrival + web.timeout; with a deadline, nobody wants the work after arrival +
    deadline."""
    arrival = requests["arrival"].to_numpy()
    gone = np.full(len(requests), np.inf)
    timeout = scenario.web.timeout
    if timeout is not None:
        timed_out = (requests["outcome"] == "timed_out").to_numpy()
        gone[timed_out] = arrival[timed_out] + timeout
    if scenario.arrivals.deadline > 0:
        gone = np.minimum(gone, arrival + scenario.arrivals.deadline)
    return gone


def wasted_calls(scenario: Scenario, requests: pd.DataFrame, tasks: pd.DataFrame,
                 attempts: pd.DataFrame) -> int:
    """Calls started after their user had stopped waiting."""
    if attempts.empty:
        return 0
    gone = user_gone_at(scenario, requests)
    request_of = tasks["request_id"].to_numpy()[attempts["task_id"].to_numpy()]
    late = attempts["start"].to_numpy() >= gone[request_of]
    return int((late & is_call(attempts)).sum())


def good_times(mode: str, requests: pd.DataFrame, tasks: pd.DataFrame) -> np.ndarray:
    """When each useful answer happened (see the module docstring)."""
    if mode == "sync":
        return requests.loc[requests["outcome"] == "completed", "end"].to_numpy()
    return tasks.loc[tasks["state"] == "succeeded", "finished"].to_numpy()


def window_rates(times: np.ndarray, start: float, stop: float,
                 width: float = WINDOW_S) -> tuple[np.ndarray, np.ndarray]:
    """(window starts, events per second) for whole windows from ``start`` up to ``stop``."""
    count = math.floor((stop - start) / width + 1e-9)
    if count <= 0:
        return np.zeros(0), np.zeros(0)
    edges = start + width * np.arange(count + 1)
    hits, _ = np.histogram(times, bins=edges)
    return edges[:-1], hits / width


def offered_rate(scenario: Scenario, starts: np.ndarray, width: float = WINDOW_S) -> np.ndarray:
    """The mean arrival rate (new requests) in each window, from the scenario's profile."""
    probes = np.linspace(0, width, 11)[:-1] + width / 20
    return np.array([np.mean([scenario.arrivals.rate_at(s + p) for p in probes])
                     for s in starts])


def last_fault_end(windows: list[dict[str, Any]]) -> float | None:
    ends = [w["end"] for w in windows if w.get("end") is not None]
    return max(ends) if ends else None


def goodput_after_faults(scenario: Scenario, good: np.ndarray, windows: list[dict[str, Any]]
                         ) -> tuple[float | None, float | None]:
    """(recovery_s, best goodput share of the arrival rate in any window after the faults)."""
    end = last_fault_end(windows)
    if end is None:
        return None, None
    starts, rates = window_rates(good, end, scenario.duration)
    if starts.size == 0:
        return None, None
    offered = offered_rate(scenario, starts)
    share = np.divide(rates, offered, out=np.ones_like(rates), where=offered > 0)
    back = np.flatnonzero(share >= RECOVERED_SHARE)
    recovery = float(starts[back[0]] - end) if back.size else None
    return recovery, float(share.max())


def in_windows(times: np.ndarray, windows: list[dict[str, Any]], until: float) -> np.ndarray:
    inside = np.zeros(times.shape, dtype=bool)
    for w in windows:
        stop = w["end"] if w.get("end") is not None else until
        inside |= (times >= w["start"]) & (times < stop)
    return inside


def resilience_summary(scenario: Scenario, mode: str, frames: dict[str, pd.DataFrame],
                       windows: list[dict[str, Any]], end_time: float,
                       breaker: dict[str, Any]) -> dict[str, Any]:
    """The summary's resilience keys (``requests.shed`` and ``tasks.expired`` are counted with
    the other outcomes)."""
    requests, tasks, attempts = frames["requests"], frames["tasks"], frames["attempts"]
    call, first = is_call(attempts), is_first(attempts)
    starts = attempts["start"].to_numpy()
    _, call_rates = window_rates(starts[call], 0.0, max(end_time, WINDOW_S))
    faulty = in_windows(starts, windows, end_time)
    recovery, best_share = goodput_after_faults(scenario, good_times(mode, requests, tasks),
                                                windows)
    budget = tasks["reason"].astype(str) == "budget"
    return {
        "retries": {"denied_by_budget": int(budget.sum())},
        "circuit_breaker": {"opened": int(breaker.get("opened", 0)),
                            "time_open_s": float(breaker.get("time_open_s", 0.0)),
                            "fast_failures": int((~call).sum())},
        "downstream": {
            "calls": int(call.sum()),
            "wasted_calls": wasted_calls(scenario, requests, tasks, attempts),
            "peak_call_rate": float(call_rates.max()) if call_rates.size else 0.0,
            "fault_amplification": ratio((call & faulty).sum(), (first & faulty).sum()),
        },
        "amplification": ratio(call.sum(), first.sum()),
        "recovery_s": recovery,
        "goodput": {"best_share_after_faults": best_share},
    }


BREAKER_LABELS = {"open": "circuit breaker open: calls fail fast",
                  "half_open": "circuit breaker half-open: trial calls"}


def breaker_windows(moves: list[tuple[float, str, str]], end: float) -> list[dict[str, Any]]:
    """The breaker's open and half-open spells, as windows like the fault windows
    (``kind`` breaker_open / breaker_half_open), from its recorded moves (time, from, to)."""
    out = []
    for k, (start, _old, state) in enumerate(moves):
        if state in BREAKER_LABELS:
            stop = moves[k + 1][0] if k + 1 < len(moves) else end
            out.append({"kind": f"breaker_{state}", "start": start, "end": stop,
                        "label": BREAKER_LABELS[state]})
    return out


def over_time(result: Any, width: float) -> pd.DataFrame:
    """Per window of ``width`` s: new requests and all requests (with resends) arriving per
    second, goodput, downstream calls and first attempts per second, and amplification."""
    requests, attempts = result.requests, result.attempts
    until = max(float(result.summary["run"]["end_time_s"]), width)
    starts, arrivals = window_rates(requests.loc[~requests["client_retry"], "arrival"]
                                    .to_numpy(), 0.0, until, width)
    _, offered = window_rates(requests["arrival"].to_numpy(), 0.0, until, width)
    _, good = window_rates(good_times(result.mode, requests, result.tasks), 0.0, until, width)
    times = attempts["start"].to_numpy()
    _, calls = window_rates(times[is_call(attempts)], 0.0, until, width)
    _, firsts = window_rates(times[is_first(attempts)], 0.0, until, width)
    amplification = np.divide(calls, firsts, out=np.full_like(calls, np.nan), where=firsts > 0)
    return pd.DataFrame({"time": starts + width / 2, "arrivals": arrivals, "offered": offered,
                         "goodput": good, "calls": calls, "first_attempts": firsts,
                         "amplification": amplification})


__all__ = ["RECOVERED_SHARE", "WINDOW_S", "breaker_windows", "over_time", "resilience_summary",
           "wasted_calls"]
