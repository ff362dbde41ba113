"""The previous run stays on screen after a knob change: every KPI says what it was, the main
charts draw the previous run faded, and a pinned run stays the reference across changes."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from sim.charts.before import SUFFIX, with_before
from sim.charts.palette import BEFORE_OPACITY
from tests.ui.charts import chart_specs

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    return at.run()


def kpis(at: AppTest) -> list[tuple[str, str, str]]:
    return [(m.label, m.value, m.proto.delta if m.proto.delta.startswith(("was ", "same as before"))
             else "") for m in at.metric]


def ecdf_names(at: AppTest) -> list[str]:
    spec = chart_specs(at)[0]
    return [t.get("name") for t in spec["data"]]


def test_a_knob_change_keeps_the_previous_run_in_view() -> None:
    at = app(duration="30", mode="async")
    first = {label: value for label, value, _d in kpis(at)}
    assert not any(d for *_x, d in kpis(at)), "nothing to compare with yet"
    assert not any(n.endswith(SUFFIX) for n in ecdf_names(at) if n)
    at.slider(key="pg_workers").set_value(4).run()
    assert not at.exception
    notes = {label: d for label, _v, d in kpis(at)}
    assert notes["p95 task latency"] == f"was {first['p95 task latency']}"
    assert "async (before)" in ecdf_names(at)
    spec = chart_specs(at)[0]
    faded = next(t for t in spec["data"] if t.get("name") == "async (before)")
    assert faded["opacity"] == BEFORE_OPACITY and faded["line"]["dash"] == "dot"


def test_a_pinned_run_stays_the_reference() -> None:
    at = app(duration="30", mode="async")
    pinned = {label: value for label, value, _d in kpis(at)}
    at.button(key="pg_pin").click().run()
    at.slider(key="pg_workers").set_value(3).run()
    at.slider(key="pg_workers").set_value(4).run()  # two changes later ...
    notes = {label: d for label, _v, d in kpis(at)}
    assert notes["p95 task latency"] == f"was {pinned['p95 task latency']}"  # ... the pinned
    at.button(key="pg_unpin").click().run()
    at.slider(key="pg_workers").set_value(5).run()
    notes = {label: d for label, _v, d in kpis(at)}
    assert notes["p95 task latency"] != f"was {pinned['p95 task latency']}"


def test_a_new_scenario_forgets_the_old_reference() -> None:
    at = app(duration="30")
    at.slider(key="pg_workers").set_value(4).run()
    at.selectbox(key="pg_scenario").set_value("retry_storm").run()
    assert not at.exception and not any(d for *_x, d in kpis(at))


def test_with_before_keeps_the_current_run_on_top() -> None:
    import plotly.graph_objects as go

    now = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], name="sync", mode="lines"))
    old = go.Figure([go.Scatter(x=[0, 1], y=[1, 2], name="sync", mode="lines"),
                     go.Scatter(x=[1], y=[1], name="p95", mode="markers+text")])
    both = with_before(now, old)
    assert [t.name for t in both.data] == ["sync (before)", "sync"]
    assert len(now.data) == 1  # the cached figure is not changed
