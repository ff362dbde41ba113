"""Cached simulation runs and figures.

Runs are cached with ``st.cache_data`` keyed by the validated scenario's JSON, the mode and the
seed, so going back to a setting is instant. Figures are cached per set of runs (as resources:
they are never mutated after they are built). Every run is watched by a
:class:`ui.run_guard.SessionWatch`: it stops when its session changes or ends, or after the app's
time budget; a stopped or refused run is not cached and the page says why.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from sim.charts import build_figure, figure_names
from sim.runner import Result, RunRefused, RunStopped, run
from sim.scenario import Scenario, ScenarioError, from_dict
from ui.run_guard import SessionWatch

RunKey = tuple[str, str, str, int]  # label, scenario JSON, mode, seed


@st.cache_data(max_entries=64, show_spinner=False)
def _run(scenario_json: str, mode: str, seed: int, _watch: SessionWatch | None = None) -> Result:
    return run(from_dict(json.loads(scenario_json)), mode, seed, should_stop=_watch)


def cached_run(scenario: Scenario, mode: str, seed: int,
               watch: SessionWatch | None = None) -> Result:
    """One run through the cache (the runner the defence ladder uses), watched by ``watch``."""
    return _run(scenario.model_dump_json(), mode, int(seed), watch)


def run_key(label: str, scenario: Scenario, mode: str, seed: int | None = None) -> RunKey:
    seed = scenario.seed if seed is None else int(seed)
    return (label, scenario.model_dump_json(), mode, seed)


def results_for(keys: list[RunKey]) -> dict[str, Result] | None:
    """Run (or fetch from the cache) every keyed run, with a spinner; None (and a message
    on the page) when a run cannot be done."""
    watch = SessionWatch()
    stopped = None
    try:
        with st.spinner("Simulating…", show_time=True):
            return {label: _run(js, mode, seed, watch) for label, js, mode, seed in keys}
    except RunStopped as exc:
        stopped = str(exc)  # (outside this block, nothing holds on to the stopped run)
    except RunRefused as exc:
        st.error(f"This run is too big for the simulator: {exc}.", icon=":material/block:")
    except ScenarioError as exc:
        st.error(f"This configuration is not valid: {exc}")
    except Exception as exc:  # an engine bug must not show a traceback to a student
        st.error(f"The simulation stopped with an internal error ({type(exc).__name__}: "
                 f"{exc}). Please report it together with the link of this page.")
    if stopped is not None:
        watch.raise_pending()  # the page changed or closed: Streamlit takes over from here
        st.warning(f"The simulation was stopped: {stopped}.", icon=":material/timer_off:")
    return None


def results_of(keys: list[RunKey]) -> dict[str, Result]:
    """The cached runs of ``keys`` (no spinner, no error handling)."""
    return {label: _run(js, mode, seed) for label, js, mode, seed in keys}


@st.cache_resource(max_entries=200, show_spinner=False)
def _figure(name: str, keys: tuple[RunKey, ...]) -> Any:
    return build_figure(name, results_of(list(keys)))


def figure(name: str, keys: list[RunKey]) -> Any:
    """One chart of these runs, built once per distinct set of runs (None if not applicable)."""
    return _figure(name, tuple(keys))


def names(keys: list[RunKey]) -> list[str]:
    return figure_names(results_of(keys))
