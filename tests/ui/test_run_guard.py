"""A run belongs to its session: the ``should_stop`` the app gives the engine answers with a
reason on a pending rerun/stop request (and hands that request back afterwards), when the
session is gone, or after the time budget; the page then says the run was stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.testing.v1 import AppTest

from sim import run
from sim.runner import RunStopped
from sim.scenario import from_dict
from ui import run_guard
from ui.run_guard import SessionWatch

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_a_pending_stop_request_stops_the_run_and_is_handed_back() -> None:
    watch = SessionWatch(budget=600)
    calls = []

    def yield_check() -> None:
        calls.append(1)
        if len(calls) > 2:
            raise StopException()

    watch.yield_check = yield_check
    scenario = from_dict({"duration": 100_000, "arrivals": {"rate": 200}})
    with pytest.raises(RunStopped, match="the page changed or was closed"):
        run(scenario, "async", should_stop=watch)
    with pytest.raises(StopException):
        watch.raise_pending()


def test_the_time_budget_stops_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    watch = SessionWatch(budget=600)
    watch.deadline = 0.0  # already past
    with pytest.raises(RunStopped, match="time budget of 600 s"):
        run(from_dict({"duration": 100_000, "arrivals": {"rate": 200}}), should_stop=watch)
    watch.raise_pending()  # nothing pending: nothing raised


def test_a_session_that_is_gone_stops_its_run(monkeypatch: pytest.MonkeyPatch) -> None:
    watch = SessionWatch(budget=600)
    monkeypatch.setattr(watch, "_alive", lambda: False)
    with pytest.raises(RunStopped, match="the visitor left"):
        run(from_dict({"duration": 100_000, "arrivals": {"rate": 200}}), should_stop=watch)


def test_the_budget_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNC_LAB_RUN_BUDGET_S", "12.5")
    assert run_guard.budget_s() == 12.5
    monkeypatch.setenv("ASYNC_LAB_RUN_BUDGET_S", "soon")
    assert run_guard.budget_s() == 30.0


def test_the_page_says_a_run_over_budget_was_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNC_LAB_RUN_BUDGET_S", "1")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"mode": "async", "arrivals.rate": "5000", "web.workers": "500",
                            "workers.count": "1000", "workers.concurrency": "16", "seed": "11"})
    at.run()
    assert not at.exception
    text = "\n".join(str(w.value) for w in at.warning)
    assert "The simulation was stopped: it took longer than this app's time budget of 1 s" \
        in text, text


def test_a_refused_run_says_why_on_the_page() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"task.poison_rate": "1", "retry.max_retries": "100",
                            "arrivals.rate": "20000"})
    at.run()
    assert not at.exception
    text = "\n".join(str(e.value) for e in at.error)
    assert "too big for the simulator" in text and "limits.max_events" in text, text
