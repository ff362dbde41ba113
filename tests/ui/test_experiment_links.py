"""The replications count (and the planner's settings) survive a shared link, through the same
URL code as every knob; a bad value in a link is a "Link ignored" message naming the allowed
range, never an exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.test_url_roundtrip import page


def link(at: AppTest) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


@pytest.mark.parametrize(("path", "key"), [("", "pg_reps"),
                                           ("ui/pages/compare.py", "cmp_reps")])
def test_replications_count_survives_the_link(path: str, key: str) -> None:
    at = page(path, duration="10")
    assert "reps" not in link(at)  # one run: the link stays as short as before
    at.slider(key=key).set_value(4).run()
    assert not at.exception and not at.error
    assert link(at)["reps"] == "4"
    again = page(path, **link(at))
    assert not again.exception and not again.error
    assert again.slider(key=key).value == 4
    assert any("over 4 replications" in m.value for m in again.markdown)


@pytest.mark.parametrize("path", ["", "ui/pages/compare.py"])
@pytest.mark.parametrize("bad", ["abc", "1000", "0", "-2", "3.5"])
def test_a_bad_replications_count_is_ignored_with_a_message(path: str, bad: str) -> None:
    at = page(path, duration="10", reps=bad)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Link ignored: ")
    assert f"reps: must be a whole number from 1 to 30, got '{bad}'" in errors[0]
    key = "cmp_reps" if path else "pg_reps"
    assert at.slider(key=key).value == 1


def test_planner_settings_survive_the_link() -> None:
    at = page("ui/pages/planner.py")
    assert not at.exception and not at.error
    assert link(at)["slo"] == "user_wait_s.p95=2"
    at.radio(key="plan_mode").set_value("sync")
    at.selectbox(key="plan_knob").set_value("web.workers")
    at.slider(key="plan_range").set_value((2, 12))
    at.slider(key="plan_reps").set_value(7)
    at.selectbox(key="plan_slo1").set_value("queue_wait_s.mean").run()
    assert at.number_input(key="plan_target1").value == 1.0  # that figure's usual limit
    at.number_input(key="plan_target1").set_value(0.5)
    at.toggle(key="plan_second").set_value(True).run()
    assert not at.exception and not at.error
    shared = link(at)
    assert shared["range"] == "2:12" and shared["slo2"] == "task_latency_s.p95=30"
    again = page("ui/pages/planner.py", **shared)
    assert not again.exception and not again.error and not again.warning
    assert again.radio(key="plan_mode").value == "sync"
    assert again.selectbox(key="plan_knob").value == "web.workers"
    assert again.slider(key="plan_range").value == (2, 12)
    assert again.slider(key="plan_reps").value == 7
    assert again.selectbox(key="plan_slo1").value == "queue_wait_s.mean"
    assert again.number_input(key="plan_target1").value == 0.5
    assert again.toggle(key="plan_second").value is True
    assert again.selectbox(key="plan_slo2").value == "task_latency_s.p95"


@pytest.mark.parametrize(("params", "expected"), [
    ({"reps": "1000"}, "reps: must be a whole number from 2 to 30, got '1000'"),
    ({"range": "9:3"}, "range: must be LOW:HIGH"),
    ({"knob": "x", "slo": "user_wait_s.p95=2"}, "knob: must be one of workers.count"),
    ({"slo2": "user_wait_s.p95=abc"}, "slo2: must be OBJECTIVE=LIMIT"),
    ({"scenario": "nope", "mode": "both"}, "mode: must be one of async, sync"),
])
def test_planner_ignores_a_bad_link_with_a_message(params: dict, expected: str) -> None:
    at = page("ui/pages/planner.py", **({"knob": "workers.count"} | params))
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Link ignored: ")
    assert expected in at.error[0].value
    assert at.slider(key="plan_reps").value == 5 and at.slider(key="plan_range").value == (1, 32)


def test_load_sweep_settings_survive_the_link() -> None:
    at = page(duration="10")
    at.session_state["pg_tab"] = "Theory & load sweep"
    at.run()
    at.selectbox(key="pg_sweep_x").set_value("workers.count")
    at.selectbox(key="pg_sweep_metric").set_value("throughput_rps")
    at.slider(key="pg_sweep_points").set_value(6)
    at.slider(key="pg_sweep_reps").set_value(3).run()
    shared = link(at)
    assert (shared["sweep"], shared["sweep_points"], shared["sweep_reps"]) == (
        "workers.count", "6", "3")
    again = page(**shared)
    again.session_state["pg_tab"] = "Theory & load sweep"
    again.run()
    assert not again.exception and not again.error
    assert again.selectbox(key="pg_sweep_x").value == "workers.count"
    assert again.selectbox(key="pg_sweep_metric").value == "throughput_rps"
    assert again.slider(key="pg_sweep_points").value == 6
    assert again.slider(key="pg_sweep_reps").value == 3


def test_bad_load_sweep_settings_in_a_link_are_ignored_with_a_message() -> None:
    at = page(duration="10", sweep="duration", sweep_points="99")
    assert not at.exception
    text = at.error[0].value
    assert text.startswith("Link ignored: ") and "sweep: must be one of arrivals.rate" in text
    assert "sweep_points: must be a whole number from 4 to 16, got '99'" in text


def test_a_playground_link_left_in_the_address_is_not_a_planner_link() -> None:
    at = page("ui/pages/planner.py", scenario="retry_storm", mode="both", reps="25", seed="7")
    assert not at.exception and not at.error
    assert at.radio(key="plan_mode").value == "async" and at.slider(key="plan_reps").value == 5
