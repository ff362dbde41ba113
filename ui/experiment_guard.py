"""An experiment in the app belongs to its session, like a single run.

Replications, the load sweep and the capacity planner all start here. Before any run, the
experiment's expected work (every run's work plan, added up by :mod:`sim.bounds`) must stay
under ``APP_MAX_WORK``, or it is refused with a message saying what to make smaller. While it
runs, a :func:`ui.run_guard.experiment_watch` is asked between runs and a few times a second:
when the visitor changes an input or leaves, or when the experiment has used up its time budget
(``ASYNC_LAB_EXPERIMENT_BUDGET_S``, 60 s), the runs under way are ended and no more start. The
page then says what was stopped and why, and keeps what finished (the replications on the seeds
every configuration finished, the sweep points, the planner's settings tried); every finished
run is in the shared job cache, so running it again goes on from there.

Every run of an experiment goes through that one cache, shared by the app's sessions (a run is
fully determined by its scenario, mode and seed, so sharing is safe).
"""

from __future__ import annotations

import pickle
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import streamlit as st

from sim.bounds import RunRefused
from sim.experiment import BackendError, ExperimentStopped, Options
from sim.scenario import ScenarioError
from ui.run_guard import SessionWatch, experiment_watch

T = TypeVar("T")
APP_MAX_WORK = 10_000_000  # as much work as the largest single run: ~100 CPU-s at ~100k events/s
APP_SMALLER = "use fewer replications or points, or shorten the duration"
CACHE_RUNS = 10_000  # ~4.5 kB an entry stored (result and job): ~45 MB at most


class JobCache(OrderedDict):
    """A bounded mapping of job -> result (the oldest entries go first). Results are kept
    pickled and compressed: with the charts' curves one is ~27 kB as Python objects, ~3 kB
    stored."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, zlib.compress(pickle.dumps(value), 1))
        while len(self) > CACHE_RUNS:
            self.popitem(last=False)

    def get(self, key: Any, default: Any = None) -> Any:
        stored = super().get(key)
        return default if stored is None else pickle.loads(zlib.decompress(stored))


@st.cache_resource(show_spinner=False)
def job_cache() -> JobCache:
    return JobCache()


def options(label: str, watch: SessionWatch | None = None) -> tuple[Options, Any]:
    """Options for an experiment of this session: a fresh progress bar (returned so it can be
    cleared), the shared job cache, the watch's stop check and the app's work bound."""
    bar = st.progress(0.0, text=label)

    def show(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"{label} ({done}/{total} runs)")

    return Options(backend="processes", progress=show, cache=job_cache(), should_stop=watch,
                   max_work=APP_MAX_WORK, smaller=APP_SMALLER), bar


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an experiment gave: its result (the partial one when it was stopped) and, when it
    was stopped, the message saying so."""

    result: T | None
    stopped: str | None = None


def run_experiment(what: str, label: str, start: Callable[[Options], T],
                   kept: Callable[[Any], str]) -> Outcome[T]:
    """``start(options)`` with a progress bar, the session's watch and the work bound.

    ``what`` names the experiment in messages ("load sweep"); ``kept(partial)`` says what of a
    stopped one is shown. A refusal or a bad setting is an error on the page (result None); a
    rerun or a closed tab hands control back to Streamlit."""
    watch = experiment_watch()
    opts, bar = options(label, watch)
    stop: ExperimentStopped | None = None
    try:
        return Outcome(start(opts))
    except ExperimentStopped as exc:
        stop = exc
    except RunRefused as exc:  # the whole experiment, or one of its runs, is too big
        st.error(f"This {what} is too big for the app: {exc}.", icon=":material/block:")
    except (ScenarioError, BackendError) as exc:
        st.error(f"This {what} is not valid: {exc}")
    except Exception as exc:  # an engine bug must not show a traceback to a student
        st.error(f"The {what} stopped with an internal error ({type(exc).__name__}: {exc}). "
                 "Please report it together with the link of this page.")
    finally:
        bar.empty()
    if stop is None:
        return Outcome(None)
    watch.raise_pending()  # the page changed or closed: Streamlit takes over from here
    message = (f"The {what} was stopped: {stop.reason}. {kept(stop.partial)} Runs that "
               "finished are kept: running it again goes on from there.")
    return Outcome(stop.partial, message)


def show_stopped(message: str | None) -> None:
    """The warning of a stopped experiment (nothing when it was not stopped)."""
    if message:
        st.warning(message, icon=":material/timer_off:")


__all__ = ["APP_MAX_WORK", "APP_SMALLER", "Outcome", "job_cache", "options", "run_experiment",
           "show_stopped"]
