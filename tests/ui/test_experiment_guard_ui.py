"""Experiments in the app belong to the session (AppTest): replications, the load sweep and the
capacity planner are refused before any run when their work is over the app's bound, and are
stopped with a message (keeping what finished) when they use up the experiment's time budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import experiment_guard, run_guard

APP = str(Path(__file__).resolve().parents[2] / "app.py")
BIG_FLEET = {"workers.count": "1000", "workers.concurrency": "16", "web.workers": "500"}


def app(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if page:
        at.switch_page(f"ui/pages/{page}.py")
    at.query_params.update(params)
    return at.run()


def text(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


@pytest.fixture
def no_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """An experiment budget already used up when the experiment starts."""
    monkeypatch.setattr(run_guard, "experiment_budget_s", lambda: 0.0)


def sweep_tab(at: AppTest, points: int = 16, reps: int = 10) -> AppTest:
    at.session_state["pg_tab"] = "Theory & load sweep"
    at.run()
    at.slider(key="pg_sweep_points").set_value(points)
    at.slider(key="pg_sweep_reps").set_value(reps)
    return at.button(key="pg_run_sweep").click().run()


def planner(at: AppTest, reps: int) -> AppTest:
    at.slider(key="plan_range").set_value((1, 64))
    at.slider(key="plan_reps").set_value(reps)
    return at.button(key="plan_run").click().run()


def test_thirty_replications_of_a_long_run_are_refused_before_they_start() -> None:
    at = app(**{"arrivals.rate": "200"})
    at.slider(key="pg_duration").set_value(600).run()  # one run (per mode) of the longest
    at.slider(key="pg_reps").set_value(30).run()  # 30 x 2 of them are too many
    assert not at.exception
    errors = text(at.error)
    assert "too big for the app" in errors and "fewer replications" in errors, errors
    assert all("±" not in m.value for m in at.metric)  # the single runs' figures stay


def test_a_load_sweep_over_a_huge_fleet_is_refused_before_it_starts() -> None:
    at = sweep_tab(app(**BIG_FLEET))
    assert not at.exception
    errors = text(at.error)
    assert "This load sweep is too big for the app" in errors, errors
    assert "million events" in errors and "the limit is 10.0 million" in errors


def test_a_search_over_the_app_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiment_guard, "APP_MAX_WORK", 100_000)
    at = planner(app("planner"), 30)
    assert not at.exception and not at.success
    assert "This search is too big for the app" in text(at.error)


def test_a_sweep_out_of_time_stops_with_a_message(no_time: None) -> None:
    at = sweep_tab(app())
    assert not at.exception and not at.error
    warning = text(at.warning)
    assert "The load sweep was stopped" in warning and "time budget of 0 s per experiment" \
        in warning and "fewer replications or points" in warning, warning
    assert "running it again goes on from there" in warning


def test_replications_out_of_time_stop_and_keep_the_single_run(no_time: None) -> None:
    at = app(duration="20")
    at.slider(key="pg_reps").set_value(30).run()
    assert not at.exception and not at.error
    assert "The set of replications was stopped" in text(at.warning)
    assert [m for m in at.metric if m.label == "p95 user wait"]  # the single run's figures


def test_a_search_out_of_time_shows_what_it_tried(no_time: None) -> None:
    at = planner(app("planner"), 30)
    assert not at.exception and not at.error
    assert "The search was stopped" in text(at.warning), text(at.warning)


def test_a_defence_ladder_out_of_time_stops_with_a_message(no_time: None) -> None:
    # a seed no other test runs: the ladder's runs are cached across sessions (and tests in
    # one process), and a ladder whose every run is cached finishes without needing time
    at = app(scenario="metastable_retry_storm", mode="sync", duration="60", seed="918273")
    at.session_state["pg_tab"] = "Defences & recovery"
    at.run()
    at.button(key="pg_run_ladder").click().run()
    assert not at.exception and not at.error
    assert "+ retry budget" not in text(at.markdown)  # no ladder table
    warning = text(at.warning)
    assert "The defence ladder was stopped" in warning and "time budget of 0 s per " \
        "experiment" in warning, warning
