"""A run belongs to the session that asked for it.

The engine never reads a clock; it asks a ``should_stop`` callable every few thousand units of
work (and at each time-series bin). The one made here answers with a reason when

- the visitor changed an input or left (Streamlit then has a rerun or stop request pending for
  this script run: the script-run context's yield check raises it, we keep it and raise it again
  once the engine has stopped, so Streamlit reruns with the new inputs or ends the session);
- the session is no longer one of the runtime's active sessions (the tab was closed);
- the run has used up the app's time budget (30 s, settable with the environment variable
  ``ASYNC_LAB_RUN_BUDGET_S``), so one student's run cannot hold the server.

An experiment (replications, the load sweep, the capacity planner) is watched the same way by
:func:`experiment_watch`, with one budget for all its runs together (60 s,
``ASYNC_LAB_EXPERIMENT_BUDGET_S``).
"""

from __future__ import annotations

import os
import time

try:  # Streamlit's own script-run plumbing (1.67); without it only the time budget applies
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException
    from streamlit.runtime.scriptrunner_utils.script_run_context import (
        get_run_yield_check,
        get_script_run_ctx,
    )
except ImportError:  # pragma: no cover - another Streamlit layout
    Runtime = None
    ScriptControlException = BaseException  # never raised by the no-op check below

    def get_run_yield_check():  # type: ignore[misc]
        return None

    def get_script_run_ctx(suppress_warning: bool = False):  # type: ignore[misc]
        return None


RUN_ADVICE = "shorten the duration or lower the rate, or run it from the command line"
EXPERIMENT_ADVICE = ("use fewer replications or points, or a shorter duration, or run it from "
                     "the command line (python -m sim sweep | plan | run --reps)")


def budget_s(variable: str = "ASYNC_LAB_RUN_BUDGET_S", default: float = 30.0) -> float:
    """Wall seconds one run (or experiment) may take in the app: the environment ``variable``,
    at least 1, else ``default``."""
    try:
        return max(1.0, float(os.environ.get(variable, default)))
    except ValueError:
        return default


def experiment_budget_s() -> float:
    """Wall seconds all the runs of one experiment may take together (default 60)."""
    return budget_s("ASYNC_LAB_EXPERIMENT_BUDGET_S", 60.0)


class SessionWatch:
    """``should_stop`` for the runs of one script run of one session."""

    def __init__(self, budget: float | None = None, what: str = "run",
                 advice: str = RUN_ADVICE) -> None:
        ctx = get_script_run_ctx(suppress_warning=True)
        self.session_id = getattr(ctx, "session_id", None)
        self.yield_check = get_run_yield_check()
        self.budget = budget_s() if budget is None else budget
        self.deadline = time.monotonic() + self.budget
        self.pending: BaseException | None = None
        self.what, self.advice = what, advice

    def __call__(self) -> str | None:
        if self.yield_check is not None:
            try:
                self.yield_check()
            except ScriptControlException as exc:  # a rerun or stop request: honour it later
                self.pending = exc.with_traceback(None)
                return "the page changed or was closed"
        if not self._alive():
            return "the visitor left"
        if time.monotonic() > self.deadline:
            return (f"it took longer than this app's time budget of {self.budget:g} s per "
                    f"{self.what}; {self.advice}")
        return None

    def _alive(self) -> bool:
        if self.session_id is None or Runtime is None or not Runtime.exists():
            return True
        return Runtime.instance().is_active_session(self.session_id)

    def raise_pending(self) -> None:
        """Hand Streamlit back the rerun or stop request the engine stopped for."""
        if self.pending is not None:
            raise self.pending


def experiment_watch() -> SessionWatch:
    """The watch of one experiment: its session, and the experiment budget for all its runs."""
    return SessionWatch(experiment_budget_s(), "experiment", EXPERIMENT_ADVICE)
