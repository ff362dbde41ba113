"""Replications and sweeps: many runs of one scenario, summarised with confidence intervals.

``replicate(scenario, mode, reps)`` runs the same configuration on ``reps`` seeds (``seed``,
``seed + 1``, ...; the first is the single run the app shows). ``sweep(scenario, vary, modes,
reps)`` runs every point of a grid of dotted keys in every mode on the same seeds (common random
numbers: every point sees the same arrivals and task sizes, so differences between points are
the settings', not the dice's). Both run on any backend of :mod:`sim.experiment.backends`.

A point is flagged ``overloaded`` from structured fields, never from warning text: a
replication stopped at the overload bound (``summary["run"]["overloaded"]``), or a tier is
offered at least its capacity (:func:`sim.capacity.steady_load` ≥ 1: its queue grows without
bound even when the run ends before reaching the bound).

Before any run, the experiment's expected work (every run's :func:`sim.bounds.work_plan`, added
up) is checked against ``Options.max_work`` (:class:`sim.bounds.ExperimentRefused`, one line
saying what to make smaller), and the number of runs against ``MAX_RUNS`` before the grid is
built. An experiment stopped by ``Options.should_stop`` raises
:class:`sim.experiment.backends.ExperimentStopped` whose ``partial`` holds what finished: the
replications on the seeds every configuration finished, the sweep's complete points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.bounds import MAX_EXPERIMENT_EVENTS, ExperimentRefused, experiment_plan
from sim.capacity import steady_load
from sim.experiment.backends import ExperimentStopped, Job, Progress, StopCheck, execute
from sim.experiment.stats import CONFIDENCE, Interval, flatten, interval, lookup
from sim.prediction import prediction
from sim.runner import MODES
from sim.scenario import Scenario, ScenarioError, apply_overrides

MAX_RUNS = 100_000  # a grid this large is a typo, not an experiment
MAX_REPS = 1000  # replications per setting: the interval narrows as 1/sqrt(reps), 1000 is plenty
CLI_SMALLER = "use fewer replications (--reps) or values (--vary), or shorten duration"


@dataclass(frozen=True)
class Options:
    """How to execute: backend name, worker count, Dask scheduler, progress, result cache; the
    stop check and the work bound of the whole experiment (and what to tell a user who is
    over it)."""

    backend: str = "processes"
    workers: int | None = None
    scheduler: Any = None
    progress: Progress | None = None
    cache: MutableMapping[Job, dict] | None = None
    should_stop: StopCheck | None = None
    max_work: float = MAX_EXPERIMENT_EVENTS
    smaller: str = CLI_SMALLER

    def run(self, jobs: Sequence[Job]) -> list[dict[str, Any]]:
        return execute(jobs, self.backend, workers=self.workers, scheduler=self.scheduler,
                       progress=self.progress, cache=self.cache, should_stop=self.should_stop)

    def check_work(self, runs: Iterable[tuple[Scenario, str]], reps: int) -> None:
        """Refuse (:class:`ExperimentRefused`) ``reps`` runs of each configuration when they
        would do more work than ``max_work`` together."""
        refusal = experiment_plan(runs, reps, self.max_work).refusal(self.smaller)
        if refusal:
            raise ExperimentRefused(refusal)


@dataclass(frozen=True)
class Replications:
    """The runs of one configuration on several seeds."""

    scenario: Scenario
    mode: str
    seeds: tuple[int, ...]
    summaries: tuple[dict[str, Any], ...]
    curves: tuple[dict[str, Any], ...] = field(default=())

    def values(self, key: str) -> list[float | None]:
        """The value of a dotted summary key in each replication (None where it has none)."""
        out = []
        for summary in self.summaries:
            try:
                value = lookup(summary, key)
            except KeyError:
                value = None
            out.append(None if value is None else float(value))
        return out

    def interval(self, key: str, confidence: float = CONFIDENCE) -> Interval:
        return interval(self.values(key), confidence)

    def frame(self) -> pd.DataFrame:
        """One row per replication: seed and every number of its summary."""
        return pd.DataFrame([{"rep": i, "seed": seed, **flatten(s)}
                             for i, (seed, s) in enumerate(zip(self.seeds, self.summaries,
                                                               strict=True))])

    def table(self, keys: Iterable[str] | None = None,
              confidence: float = CONFIDENCE) -> pd.DataFrame:
        """Mean and confidence interval of each key (default: every number of the summary)."""
        keys = list(keys) if keys is not None else list(flatten(self.summaries[0]))
        rows = [{"metric": k, **self.interval(k, confidence).as_dict()} for k in keys]
        return pd.DataFrame(rows)

    @property
    def overloaded(self) -> bool:
        return any(s["run"].get("overloaded") for s in self.summaries) or max(
            steady_load(self.scenario, self.mode).values()) >= 1


def seeds_for(scenario: Scenario, reps: int, seed: int | None = None) -> tuple[int, ...]:
    """``reps`` consecutive seeds from ``seed`` (default: the scenario's)."""
    if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= MAX_REPS:
        raise ScenarioError(f"--reps: must be a whole number from 1 to {MAX_REPS}, "
                            f"got {reps!r}")
    first = scenario.seed if seed is None else int(seed)
    if not 0 <= first <= 2**63 - reps:
        raise ScenarioError(f"--seed: must be a whole number from 0 to 2**63 - reps, "
                            f"got {first}")
    return tuple(range(first, first + reps))


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ScenarioError(f"--mode: must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


def modes_of(modes: str | Sequence[str] | None, scenario: Scenario) -> tuple[str, ...]:
    """``"both"``, one mode, or a list of modes (None: the scenario's)."""
    if modes is None:
        return (scenario.mode,)
    if modes == "both":
        return MODES
    return tuple(check_mode(m) for m in ([modes] if isinstance(modes, str) else modes))


def replicate_many(configs: Mapping[str, tuple[Scenario, str]], reps: int = 10,
                   seed: int | None = None, curves: Sequence[str] = (),
                   options: Options | None = None) -> dict[str, Replications]:
    """Replications of several labelled configurations ``{label: (scenario, mode)}`` on the
    same seeds (the first configuration's scenario seed by default), in one batch of jobs."""
    first = next(iter(configs.values()))[0]
    seeds = seeds_for(first, reps, seed)
    options = options or Options()
    options.check_work(((sc, check_mode(mode)) for sc, mode in configs.values()), reps)
    jobs = [Job(sc.model_dump_json(), mode, s, tuple(curves))
            for sc, mode in configs.values() for s in seeds]
    try:
        results = options.run(jobs)
    except ExperimentStopped as stop:
        raise stop.with_partial(_replications(configs, seeds, stop.results)) from None
    return _replications(configs, seeds, results)


def _replications(configs: Mapping[str, tuple[Scenario, str]], seeds: tuple[int, ...],
                  results: Sequence[dict[str, Any] | None]) -> dict[str, Replications] | None:
    """The replications of every configuration on the seeds that all of them finished (None
    when there is no such seed)."""
    n = len(seeds)
    keep = [k for k in range(n) if all(results[i * n + k] is not None for i in range(len(configs)))]
    if not keep:
        return None
    out = {}
    for i, (label, (sc, mode)) in enumerate(configs.items()):
        part = [results[i * n + k] for k in keep]
        out[label] = Replications(sc, mode, tuple(seeds[k] for k in keep),
                                  tuple(r["summary"] for r in part),
                                  tuple(r.get("curves", {}) for r in part))
    return out


def replicate(scenario: Scenario, mode: str | None = None, reps: int = 10,
              seed: int | None = None, curves: Sequence[str] = (),
              options: Options | None = None) -> Replications:
    """``reps`` replications of ``scenario`` in ``mode`` (default: the scenario's)."""
    mode = mode or scenario.mode
    return replicate_many({mode: (scenario, mode)}, reps, seed, curves, options)[mode]


@dataclass(frozen=True)
class Sweep:
    """A grid of settings × modes × replications: ``points`` (tidy, one row per run) and
    ``summary`` (one row per point × mode × metric: mean and confidence interval)."""

    scenario: Scenario
    vary: dict[str, list[Any]]
    modes: tuple[str, ...]
    seeds: tuple[int, ...]
    points: pd.DataFrame
    summary: pd.DataFrame

    def metric(self, key: str) -> pd.DataFrame:
        """The summary rows of one metric, in grid order."""
        return self.summary[self.summary["metric"] == key].reset_index(drop=True)


def grid(scenario: Scenario, vary: Mapping[str, Sequence[Any]]
         ) -> list[tuple[dict[str, Any], Scenario]]:
    """Every combination of the varied keys with its validated scenario (errors name the key)."""
    if not vary:
        return [({}, scenario)]
    _check_runs(vary, 1, 1)
    combos = [dict(zip(vary, combo, strict=True)) for combo in itertools.product(*vary.values())]
    return [(combo, apply_overrides(scenario, combo)) for combo in combos]


def sweep(scenario: Scenario, vary: Mapping[str, Sequence[Any]],
          modes: str | Sequence[str] | None = "both", reps: int = 10, seed: int | None = None,
          options: Options | None = None, confidence: float = CONFIDENCE) -> Sweep:
    """Run the grid ``vary`` (``{"arrivals.rate": [..], "workers.count": [..]}``) in every
    mode, ``reps`` replications each, the same seeds everywhere."""
    seeds = seeds_for(scenario, reps, seed)
    mode_list = modes_of(modes, scenario)
    _check_runs(vary, len(mode_list), len(seeds))  # before the grid is built
    points = grid(scenario, vary)
    options = options or Options()
    options.check_work(((sc, mode) for _combo, sc in points for mode in mode_list), len(seeds))
    jobs = [Job(sc.model_dump_json(), mode, s)
            for _combo, sc in points for mode in mode_list for s in seeds]
    try:
        results = options.run(jobs)
    except ExperimentStopped as stop:  # keep the points whose every run finished
        group = len(mode_list) * len(seeds)
        chunks = [(p, stop.results[i * group:(i + 1) * group]) for i, p in enumerate(points)]
        done = [(p, rs) for p, rs in chunks if all(r is not None for r in rs)]
        partial = _sweep(scenario, vary, [p for p, _rs in done], mode_list, seeds,
                         [r for _p, rs in done for r in rs], confidence) if done else None
        raise stop.with_partial(partial) from None
    return _sweep(scenario, vary, points, mode_list, seeds, results, confidence)


def _check_runs(vary: Mapping[str, Sequence[Any]], modes: int, reps: int) -> None:
    """At most ``MAX_RUNS`` runs, counted before a single scenario is built."""
    for key, values in vary.items():
        if not list(values):
            raise ScenarioError(f"--vary {key}: no values to try")
    points = math.prod(len(list(values)) for values in vary.values())
    total = points * modes * reps
    if total > MAX_RUNS:
        raise ScenarioError(f"--vary: {points:,} points × {modes} mode(s) × {reps} "
                            f"replication(s) is {total:,} runs; the most is {MAX_RUNS:,}: use "
                            f"fewer values (--vary) or replications (--reps)")


def _sweep(scenario: Scenario, vary: Mapping[str, Sequence[Any]],
           points: list[tuple[dict[str, Any], Scenario]], mode_list: tuple[str, ...],
           seeds: tuple[int, ...], results: Sequence[dict[str, Any]],
           confidence: float) -> Sweep:
    """The sweep of ``points`` from their results (in job order)."""
    rows, k = [], 0
    for combo, sc in points:
        for mode in mode_list:
            load = max(steady_load(sc, mode).values())
            for rep, s in enumerate(seeds):
                summary = results[k]["summary"]
                k += 1
                stopped = bool(summary["run"].get("overloaded"))
                rows.append({**combo, "mode": mode, "rep": rep, "seed": s,
                             "overloaded": stopped or load >= 1, "stopped_at_bound": stopped,
                             "stop_reason": summary["run"].get("stop_reason"),
                             "offered_load": load, **flatten(summary)})
    frame = pd.DataFrame(rows)
    summary = aggregate(frame, list(vary), points, mode_list, confidence)
    return Sweep(scenario, {k: list(v) for k, v in vary.items()}, mode_list, seeds, frame,
                 summary)


RUN_COLUMNS = ("mode", "rep", "seed", "overloaded", "stopped_at_bound", "stop_reason",
               "offered_load")


def aggregate(frame: pd.DataFrame, keys: list[str], points: list[tuple[dict, Scenario]],
              modes: Sequence[str], confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean and interval of every metric per point × mode; the point's overload flags and the
    queueing-theory mean wait of its queueing tier (None where no formula applies)."""
    metrics = [c for c in frame.columns if c not in keys and c not in RUN_COLUMNS]
    rows, start = [], 0
    per_group = len(frame) // max(1, len(points) * len(modes))
    for combo, sc in points:
        for mode in modes:
            part = frame.iloc[start:start + per_group]
            start += per_group
            head = {**combo, "mode": mode, "overloaded": bool(part["overloaded"].any()),
                    "stopped": int(part["stopped_at_bound"].sum()),
                    "offered_load": float(part["offered_load"].iloc[0]),
                    "theory_queue_wait_s": prediction(sc, mode)["queue_wait_s"]}
            for metric in metrics:
                values = [None if pd.isna(v) else float(v) for v in part[metric]]
                rows.append({**head, "metric": metric,
                             **interval(values, confidence).as_dict()})
    return pd.DataFrame(rows)


__all__ = ["MAX_REPS", "MAX_RUNS", "Options", "Replications", "Sweep", "aggregate", "grid",
           "modes_of", "replicate", "replicate_many", "seeds_for", "sweep"]
