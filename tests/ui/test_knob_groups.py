"""The Playground's knob groups: only open groups draw their widgets (a browser draws the
widgets of a folded expander too, which slowed the first chart), and folding a group never
loses a value: the link, the runs and the widget when it is unfolded again all keep it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from sim.scenario import load_scenario
from tests.ui.test_scenarios import app, unfold
from ui.controls import group_key
from ui.knobs import KNOBS, open_groups


def drawn(at: AppTest) -> set[str]:
    """The knob keys that have a widget on the page."""
    widgets = [*at.slider, *at.toggle, *at.selectbox]
    return {w.key[3:] for w in widgets if w.key and w.key.startswith("pg_")}


def group(name: str) -> set[str]:
    return {k.key for k in KNOBS if k.group == name}


def fold(at: AppTest, name: str) -> AppTest:
    at.session_state[group_key("pg_", name)] = False
    return at.run()


def test_only_the_open_groups_draw_their_knobs() -> None:
    at = app(duration="20")
    assert open_groups(load_scenario("email_signup")) == {"Traffic", "Workers"}
    knobs = drawn(at)
    assert group("Traffic") | group("Workers") <= knobs
    assert not knobs & (group("Retry") | group("Defences") | group("Task"))
    assert [e.label for e in at.expander if e.label in ("Retry", "Broker")] == ["Retry", "Broker"]
    unfold(at, "Retry")
    assert group("Retry") <= drawn(at)


def test_a_folded_group_keeps_its_values_in_the_runs_and_the_link() -> None:
    at = unfold(app(duration="20", mode="async"), "Retry", "Broker")
    at.slider(key="pg_max_retries").set_value(5).run()
    at.selectbox(key="pg_broker_kind").set_value("redis").run()
    summary = at.session_state["pg_view"]
    assert at.query_params["retry.max_retries"] == "5"
    fold(fold(at, "Retry"), "Broker").run()  # two runs: Streamlit forgets undrawn widgets
    assert "max_retries" not in drawn(at)
    assert at.query_params["retry.max_retries"] == "5" and "redis" in at.query_params["broker"]
    assert at.session_state["pg_view"] == summary
    unfold(at, "Retry", "Broker")
    assert at.slider(key="pg_max_retries").value == 5
    assert at.selectbox(key="pg_broker_kind").value == "redis"


def test_a_link_unfolds_the_groups_it_changed() -> None:
    at = app(duration="20", **{"retry.max_retries": "5", "broker": "{kind: redis}"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.slider(key="pg_max_retries").value == 5
    assert at.selectbox(key="pg_broker_kind").value == "redis"
    assert not drawn(at) & group("Defences")


def test_reset_keeps_the_open_groups_and_a_new_scenario_opens_its_own() -> None:
    at = unfold(app(duration="20"), "Defences")
    at.button(key="pg_reset").click().run()
    assert group("Defences") <= drawn(at)
    at.selectbox(key="pg_scenario").set_value("retry_storm").run()
    assert not at.exception
    storm = open_groups(load_scenario("retry_storm"))
    for name in ("Retry", "Defences", "Users who give up"):
        assert (group(name) <= drawn(at)) == (name in storm), name
