"""What one replication gives back for the charts across replications, beyond its summary:
small, fixed-shape reductions of its records, computed in the process that ran it (the record
frames never travel), so that the replications of a configuration line up point by point.

- ``response_ecdf``: the share of *all* users who arrived (after the warm-up) answered
  successfully within each time of a fixed grid (:data:`ECDF_GRID`), so the curves of every
  replication share one x-axis and a pointwise band can be drawn; with the answered share and
  the p50/p95/p99 over every user (None where never reached).
- ``over_time``: by arrival window (the scenario's duration in :data:`BINS` windows, the same
  for every seed), the p95 user wait (everyone, until answered or gave up) and the share who
  gave up; and per window of the same width, new requests arriving, responses completed and
  errors or time-outs per second (until the run ended).
- ``fates``: how many tasks ended in each fate (:func:`sim.outcomes.task_fates`).

All are plain lists, numbers and dicts, deterministic given the run, so they are identical
whichever backend computed them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics import gave_up, user_wait_of
from sim.outcomes import answered_curve, task_fates

ECDF_GRID = np.concatenate([[0.0], np.logspace(-4, 5, 271)])  # 0, then 30 points a decade
BINS = 100  # arrival windows over the scenario's duration


def response_ecdf(result: Any) -> dict[str, Any]:
    """The answered curve of one run on :data:`ECDF_GRID` (see the module docstring)."""
    curve = answered_curve(result)
    arrived, times = curve["arrived"], curve["times"]
    within = np.searchsorted(times, ECDF_GRID, side="right") / arrived if arrived else \
        np.zeros(ECDF_GRID.size)
    return {"arrived": int(arrived), "share": float(curve["share"]),
            "min": float(times[0]) if times.size else None,
            "within": within.tolist(), "marks": dict(curve["marks"])}


def _by_window(arrival: np.ndarray, values: np.ndarray, width: float, how: str
               ) -> list[float | None]:
    frame = pd.DataFrame({"bin": np.floor(arrival / width).astype(int), "v": values})
    grouped = frame.groupby("bin")["v"]
    stat = grouped.quantile(0.95) if how == "p95" else grouped.mean()
    last = int(stat.index.max()) + 1 if len(stat) else 0
    full = stat.reindex(range(last))
    return [None if pd.isna(v) else float(v) for v in full]


def _rates(times: np.ndarray, width: float, until: float) -> list[float]:
    """Events per second in each window from 0 to ``until`` (0 where none)."""
    windows = max(int(np.ceil(until / width)), 1)
    counts = np.bincount(np.floor(times[np.isfinite(times)] / width).astype(int),
                         minlength=windows)
    return (counts / width).tolist()


def over_time(result: Any) -> dict[str, Any]:
    """p95 user wait and the share who gave up, by arrival window (None: nobody arrived);
    arrivals, responses and errors per second, by window."""
    req, scenario = result.requests, result.scenario
    width = max(float(scenario.duration), 1e-9) / BINS
    if req.empty:
        return {"width": width, "p95": [], "gave_up": [], "arriving": [], "completed": [],
                "errors": []}
    end = float(result.summary["run"]["end_time_s"])
    arrival = req["arrival"].to_numpy()
    waits = user_wait_of(req, end, scenario.web.timeout)
    gone = gave_up(req).to_numpy(dtype=float)
    fresh = ~req["client_retry"].to_numpy(dtype=bool) if "client_retry" in req else \
        np.ones(len(req), dtype=bool)
    outcome = req["outcome"].to_numpy()
    ends = req["end"].to_numpy(dtype=float)
    bad = np.isin(outcome, ["failed", "timed_out"])
    limit = arrival + (scenario.web.timeout or np.inf)
    error_at = np.where(outcome == "timed_out", np.fmin(ends, limit), ends)[bad]
    return {"width": width, "p95": _by_window(arrival, waits, width, "p95"),
            "gave_up": _by_window(arrival, gone, width, "mean"),
            "arriving": _rates(arrival[fresh], width, float(scenario.duration)),
            "completed": _rates(ends[outcome == "completed"], width, end),
            "errors": _rates(error_at, width, end)}


def fates(result: Any) -> dict[str, int]:
    return task_fates(result.tasks)


SHAPES: dict[str, Callable[[Any], Any]] = {"response_ecdf": response_ecdf,
                                           "over_time": over_time, "fates": fates}
CHART_CURVES = ("response_ecdf", "over_time", "fates")  # what the app's charts ask for

__all__ = ["BINS", "CHART_CURVES", "ECDF_GRID", "SHAPES", "fates", "over_time",
           "response_ecdf"]
