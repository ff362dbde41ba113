"""Run a scenario: ``run(scenario, mode, seed) -> Result``; ``compare``; ``replicate``.

Before running, the work plan (``sim.bounds``) refuses a run whose expected work exceeds
``limits.max_events`` (:class:`RunRefused`, a one-line reason); a run stopped by the caller's
``should_stop`` raises :class:`RunStopped` with the caller's reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.bounds import RunRefused, work_plan
from sim.capacity import load_warnings
from sim.metrics import summarize
from sim.model.system import StopCheck, System
from sim.prediction import theory_summary
from sim.resilience import resilience_summary
from sim.scenario import Scenario, ScenarioError
from sim.service_metrics import add_service_columns, add_service_results
from sim.theory import UnstableQueueError

Mode = Literal["sync", "async"]
MODES: tuple[Mode, ...] = ("sync", "async")


class RunStopped(RuntimeError):
    """A run stopped from outside (``should_stop`` gave a reason): no result, the reason says
    why and when."""


@dataclass(frozen=True)
class Result:
    """Everything one run produced: the summary and the record frames."""

    scenario: Scenario
    mode: Mode
    seed: int
    summary: dict[str, Any]
    requests: pd.DataFrame
    tasks: pd.DataFrame
    attempts: pd.DataFrame
    timeseries: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        return self.summary["warnings"]


def run(scenario: Scenario, mode: Mode | None = None, seed: int | None = None,
        should_stop: StopCheck | None = None, *,
        arrival_times: Sequence[float] | None = None) -> Result:
    """Simulate ``scenario`` once in ``mode`` (default: the scenario's) with ``seed``.

    ``should_stop`` (optional) is asked now and then during the run; a reason (a non-empty
    string) stops it and raises :class:`RunStopped`. Raises :class:`RunRefused` when the run's
    expected work exceeds ``limits.max_events``.

    ``arrival_times`` (seconds, ascending, up to ``duration``) replays recorded arrivals in
    place of the Poisson ones; every other draw is unchanged, so request *i* gets the same
    task as in a run with the seed's own arrivals (the calibration lab pairs runs this way)."""
    mode = mode or scenario.mode
    if mode not in MODES:
        raise ScenarioError(f"mode: must be one of sync, async, got {mode!r}")
    seed = scenario.seed if seed is None else int(seed)
    if not 0 <= seed < 2**63:
        raise ScenarioError(f"seed: must be a whole number from 0 to 2**63 - 1, got {seed}")
    refusal = work_plan(scenario, mode).refusal()
    if refusal:
        raise RunRefused(refusal)
    system = System(scenario, mode, seed, should_stop, arrival_times)
    end = system.run()
    if system.cancelled:
        raise RunStopped(system.cancelled)
    frames = system.rec.frames()
    if system.services is not None:
        add_service_columns(frames, system.services)
    add_fault_columns(frames["timeseries"], system.fault_windows)
    levels = system.rec.levels
    workers = scenario.workers
    consumers = system.broker.consumers if mode == "async" else []
    summary = summarize(
        frames,
        mode=mode,
        duration=scenario.duration,
        warmup=scenario.warmup,
        end_time=end,
        busy_area={"web": levels["web_busy"].area_at(end),
                   "workers": levels["worker_busy"].area_at(end)},
        capacity={"web": scenario.web.workers, "workers": workers.count * workers.concurrency},
        retries=system.retries,
        warnings=load_warnings(scenario, mode) + system.warnings,
        per_worker=[c.busy.area_at(end) / (c.concurrency * end) if end > 0 else 0.0
                    for c in consumers],
        rejected=system.rejected_publishes,
        timeout=scenario.web.timeout,
    )
    summary["theory"] = theory_summary(scenario, mode)
    summary["time_avg"] = {name: (level.area_at(end) / end if end > 0 else 0.0)
                           for name, level in levels.items()}
    summary["faults"] = system.fault_windows
    summary["run"].update(stop_reason=system.stop_reason,
                          overloaded=system.stop_reason == "overloaded",
                          events=system.rec.work)  # the work counted against limits.max_events
    summary.update(resilience_summary(scenario, mode, frames, system.fault_windows, end,
                                      system.guard.breaker_summary(end)))
    if system.services is not None:
        add_service_results(summary, frames, system.services, mode=mode,
                            warmup=scenario.warmup, end=end)
    return Result(scenario, mode, seed, summary, frames["requests"], frames["tasks"],
                  frames["attempts"], frames["timeseries"],
                  {"faults": system.fault_windows, "breaker_moves": system.guard.moves})


def add_fault_columns(timeseries: pd.DataFrame, windows: list[dict[str, Any]]) -> None:
    """One 0/1 column per fault kind: 1 where the bin overlaps the fault's window."""
    if timeseries.empty:
        return
    ends = timeseries["time"].to_numpy()
    starts = np.concatenate([[0.0], ends[:-1]])
    for window in windows:
        column = f"fault_{window['kind']}"
        stop = window["end"] if window["end"] is not None else np.inf
        active = (starts < stop) & (ends > window["start"])
        previous = timeseries[column].to_numpy() if column in timeseries else 0
        timeseries[column] = np.maximum(previous, active.astype(float))


def compare(scenario: Scenario, seed: int | None = None) -> dict[str, Result]:
    """The same traffic through both designs: ``{"sync": Result, "async": Result}``."""
    return {mode: run(scenario, mode, seed) for mode in MODES}


def replicate(scenario: Scenario, mode: Mode | None = None, seeds: range | list[int] = range(5)
              ) -> list[dict[str, Any]]:
    """Summaries of independent replications (one per seed)."""
    return [run(scenario, mode, seed).summary for seed in seeds]


__all__ = ["Result", "RunRefused", "RunStopped", "UnstableQueueError", "compare", "replicate",
           "run"]
