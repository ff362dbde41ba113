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
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.capacity import steady_load
from sim.experiment.backends import Job, Progress, execute
from sim.experiment.stats import CONFIDENCE, Interval, flatten, interval, lookup
from sim.prediction import prediction
from sim.runner import MODES
from sim.scenario import Scenario, ScenarioError, apply_overrides

MAX_RUNS = 100_000  # a grid this large is a typo, not an experiment


@dataclass(frozen=True)
class Options:
    """How to execute: backend name, worker count, Dask scheduler, progress, result cache."""

    backend: str = "processes"
    workers: int | None = None
    scheduler: Any = None
    progress: Progress | None = None
    cache: MutableMapping[Job, dict] | None = None

    def run(self, jobs: Sequence[Job]) -> list[dict[str, Any]]:
        return execute(jobs, self.backend, workers=self.workers, scheduler=self.scheduler,
                       progress=self.progress, cache=self.cache)


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
    if not isinstance(reps, int) or reps < 1:
        raise ScenarioError(f"--reps: must be a whole number ≥ 1, got {reps!r}")
    first = scenario.seed if seed is None else int(seed)
    if first < 0:
        raise ScenarioError(f"--seed: must be a whole number ≥ 0, got {first}")
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
    jobs = [Job(sc.model_dump_json(), check_mode(mode), s, tuple(curves))
            for sc, mode in configs.values() for s in seeds]
    results = (options or Options()).run(jobs)
    out = {}
    for i, (label, (sc, mode)) in enumerate(configs.items()):
        part = results[i * len(seeds):(i + 1) * len(seeds)]
        out[label] = Replications(sc, mode, seeds, tuple(r["summary"] for r in part),
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
    for key, values in vary.items():
        if not list(values):
            raise ScenarioError(f"--vary {key}: no values to try")
    combos = [dict(zip(vary, combo, strict=True)) for combo in itertools.product(*vary.values())]
    return [(combo, apply_overrides(scenario, combo)) for combo in combos]


def sweep(scenario: Scenario, vary: Mapping[str, Sequence[Any]],
          modes: str | Sequence[str] | None = "both", reps: int = 10, seed: int | None = None,
          options: Options | None = None, confidence: float = CONFIDENCE) -> Sweep:
    """Run the grid ``vary`` (``{"arrivals.rate": [..], "workers.count": [..]}``) in every
    mode, ``reps`` replications each, the same seeds everywhere."""
    seeds = seeds_for(scenario, reps, seed)
    mode_list = modes_of(modes, scenario)
    points = grid(scenario, vary)
    total = len(points) * len(mode_list) * len(seeds)
    if total > MAX_RUNS:
        raise ScenarioError(f"--vary: {total:,} runs is more than {MAX_RUNS:,}; use fewer "
                            f"values or replications")
    jobs = [Job(sc.model_dump_json(), mode, s)
            for _combo, sc in points for mode in mode_list for s in seeds]
    results = (options or Options()).run(jobs)
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


__all__ = ["MAX_RUNS", "Options", "Replications", "Sweep", "aggregate", "grid", "modes_of",
           "replicate", "replicate_many", "seeds_for", "sweep"]
