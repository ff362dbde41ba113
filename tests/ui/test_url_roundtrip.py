"""Every knob round-trips through the URL: each bundled scenario is opened with every knob (and
every setting of its broker) changed, the page is reopened from its link alone, and the same
configuration gives the same summary. Compare's A and B and a change of broker kind too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from sim.scenario import bundled_ids, load_scenario
from ui.broker_knobs import BROKER_KIND, broker_fields, field_bounds, field_choices
from ui.knobs import KNOBS, Knob, choices, knob_value, slider_range

APP = str(Path(__file__).resolve().parents[2] / "app.py")
GENTLE = {  # values that change a knob without making the run long or invalid
    "duration": lambda v: 10.0 if v != 10 else 20.0,
    "rate_limit": lambda v: 50.0 if v != 50 else 40.0,
    "soft_time_limit": lambda v: 119.0 if v != 119 else 118.0,
    "time_limit": lambda v: 120.0 if v != 120 else 119.5,
    "ds_timeout": lambda v: 25.0 if v != 25 else 20.0,
    "web_timeout": lambda v: 50.0 if v != 50 else 45.0,
    "ds_capacity": lambda v: 150 if v != 150 else 100,
}


def changed(knob: Knob, value: Any, scenario: Any) -> Any:
    """Another valid value of a knob."""
    if knob.key in GENTLE:
        return GENTLE[knob.key](value)
    if knob.kind == "bool":
        return not value
    if knob.kind == "choice":
        options = choices(knob)
        return options[(options.index(value) + 1) % len(options)]
    _low, high, step, _fmt = slider_range(knob, scenario)
    cast = int if knob.kind == "int" else float
    new = value + step if value + step <= high else value - step
    return cast(round(new, 6))


def broker_changed(field: Any, value: Any) -> Any:
    options = field_choices(field)
    if options:
        return options[(options.index(value) + 1) % len(options)]
    if field.annotation is bool:
        return not value
    _low, high = field_bounds(field)
    cast = int if field.annotation is int else float
    step = 1 if cast is int else 0.5
    new = value + step if high is None or value + step <= high else value - step
    return cast(new)


def page(path: str = "", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if path:
        at.switch_page(path)
    at.query_params.update(params)
    return at.run()


def summary(at: AppTest) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def reopened(at: AppTest, path: str = "") -> AppTest:
    params = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    return page(path, **params)


@pytest.mark.parametrize("sid", bundled_ids())
def test_every_knob_of_every_scenario_survives_the_link(sid: str) -> None:
    at = page(scenario=sid)
    assert not at.exception and not at.error
    base = load_scenario(sid)
    for knob in KNOBS:
        key = "pg_" + knob.key
        at.session_state[key] = changed(knob, at.session_state[key], base)
    kind = at.session_state["pg_" + BROKER_KIND]
    for name, field in broker_fields(kind).items():
        key = f"pg_broker_{name}"
        at.session_state[key] = broker_changed(field, at.session_state[key])
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    view = at.session_state["pg_view"]
    assert len(view["overrides"]) >= len(KNOBS) - 2  # task mean and CV may be one key
    again = reopened(at)
    assert not again.exception and not again.error, [e.value for e in again.error]
    assert again.session_state["pg_view"] == view, "the link lost a setting"
    assert summary(again) == summary(at)
    for knob in KNOBS:
        assert again.session_state["pg_" + knob.key] == at.session_state["pg_" + knob.key], \
            knob.key


def test_a_new_broker_kind_survives_the_link() -> None:
    at = page(scenario="email_signup", duration="20")
    at.session_state["pg_" + BROKER_KIND] = "redis"
    at.run()
    assert at.query_params["duration"] == "20"
    assert "redis" in at.query_params["broker"]
    again = reopened(at)
    assert again.session_state["pg_" + BROKER_KIND] == "redis"
    assert again.session_state["pg_view"] == at.session_state["pg_view"]
    assert summary(again) == summary(at)


def test_compare_keeps_every_setting_of_a_and_b_in_the_link() -> None:
    at = page("ui/pages/compare.py")
    base = load_scenario("email_signup")
    wanted = ["duration", "web_timeout", "task_mean", "task_cv", "workers", "rate_limit",
              "backoff", "acks_late"]
    for side in ("A", "B"):
        prefix = f"cmp_{side}_"
        at.session_state[prefix + "changed"] = wanted
        for key in wanted:
            knob = next(k for k in KNOBS if k.key == key)
            state = at.session_state
            current = state[prefix + key] if prefix + key in state else knob_value(base, knob)
            value = changed(knob, current, base)
            at.session_state[prefix + key] = value if side == "A" else changed(knob, value,
                                                                               base)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    again = reopened(at, "ui/pages/compare.py")
    assert not again.exception and not again.error, [e.value for e in again.error]
    assert again.session_state["cmp_view"] == at.session_state["cmp_view"]
    assert summary(again) == summary(at)
