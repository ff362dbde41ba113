"""The caption line of an exported chart: which scenario, which runs, which seed, and which
settings differ from the bundled scenario, so a chart pasted on a slide still says where it
came from ("Send a welcome email after sign-up (email_signup) · sync and async · seed 42 ·
changed: workers.count=4 · Async Lab 0.1.0")."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import plotly.graph_objects as go

from sim.charts.titles import caption
from sim.runner import Result
from sim.scenario import Scenario, ScenarioError, bundled_ids, load_scenario

MOST = 6  # changed settings named per run; more become "+3 more"


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out |= _flat(value, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): data}


@lru_cache(maxsize=64)
def _bundled(scenario_id: str) -> dict[str, Any] | None:
    if scenario_id not in bundled_ids():
        return None
    try:
        return _flat(load_scenario(scenario_id).to_dict())
    except ScenarioError:
        return None


def changed_settings(scenario: Scenario) -> list[str]:
    """``key=value`` of every setting that differs from the bundled scenario of the same id
    (all of them count as the scenario's own when it is not a bundled one)."""
    bundled = _bundled(scenario.id)
    if bundled is None:
        return []
    mine = _flat(scenario.to_dict())
    keys = [k for k in mine if k not in ("seed", "mode") and mine[k] != bundled.get(k)]
    keys += [k for k in bundled if k not in mine and k not in ("seed", "mode")]
    return [f"{k}={mine.get(k)}" for k in keys]


def _words(items: list[str]) -> str:
    if len(items) > MOST:
        items = [*items[:MOST], f"+{len(items) - MOST} more"]
    return ", ".join(items)


def caption_text(results: Mapping[str, Result], version: str | None = None) -> str:
    """One line: scenario, runs, seed(s), changed settings (per run when they differ)."""
    if not results:
        return ""
    first = next(iter(results.values()))
    sc = first.scenario
    labels = list(results)
    runs = _listed(labels)
    seeds = sorted({int(r.seed) for r in results.values()})
    parts = [f"{sc.title} ({sc.id})", runs,
             f"seed {seeds[0]}" if len(seeds) == 1 else "seeds " + ", ".join(map(str, seeds))]
    changes = {label: changed_settings(r.scenario) for label, r in results.items()}
    return _join(parts, changes, version)


def experiment_caption(configs: Mapping[str, tuple[Scenario, str]], seed: int, reps: int,
                       also: str = "", version: str | None = None) -> str:
    """The caption line of an experiment's chart (replications, a sweep, the planner): the
    scenario, the configurations (label -> (scenario, mode)), the seeds, what the experiment
    varied (``also``) and the settings changed from the bundled scenario."""
    if not configs:
        return ""
    labels = list(configs)
    sc = next(iter(configs.values()))[0]
    runs = _listed(labels)
    seeds = (f"seed {seed}" if reps == 1
             else f"seeds {seed}–{seed + reps - 1} ({reps} replications)")
    parts = [f"{sc.title} ({sc.id})", runs, seeds] + ([also] if also else [])
    changes = {label: changed_settings(s) for label, (s, _m) in configs.items()}
    return _join(parts, changes, version)


def _listed(labels: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _join(parts: list[str], changes: Mapping[str, list], version: str | None) -> str:
    """``parts``, then the changed settings (once when every run shares them, else per run's
    short label) and the version, as one caption line."""
    parts = list(parts)
    distinct = {tuple(c) for c in changes.values()}
    if len(distinct) == 1:
        only = next(iter(distinct))
        parts.append(f"changed: {_words(list(only))}" if only else "as bundled")
    else:
        parts += [f"{label.split(':')[0]}: {_words(c) or 'as bundled'}"
                  for label, c in changes.items()]
    if version:
        parts.append(f"Async Lab {version}")
    return " · ".join(parts)


def with_caption(fig: go.Figure, results: Mapping[str, Result],
                 version: str | None = None) -> go.Figure:
    """A copy of ``fig`` with the caption line of ``results`` under it."""
    return caption(fig, caption_text(results, version))
