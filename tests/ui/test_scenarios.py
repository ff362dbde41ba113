"""Every bundled scenario on the Playground, in each mode and on every chart tab; and the
engine's newer features where a student sees them (faults, Kafka lag, task fates, KPIs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.scenario import bundled_ids
from tests.ui.charts import chart_specs
from ui.controls import group_key

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TABS = ("Over time & queues", "Tasks & retries", "Request journeys", "Theory & load sweep")


def app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    return at.run()


def figures(at: AppTest) -> dict[str, dict]:
    """The plotly figures on the page, by title."""
    specs = chart_specs(at)
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def figure(at: AppTest, title_start: str) -> dict:
    found = [spec for title, spec in figures(at).items() if title.startswith(title_start)]
    assert found, f"no chart titled {title_start!r} in {list(figures(at))}"
    return found[0]


def open_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state["pg_tab"] = tab
    return at.run()


def unfold(at: AppTest, *groups: str) -> AppTest:
    """Open these knob groups of the Playground's sidebar (only open groups draw widgets)."""
    for group in groups:
        at.session_state[group_key("pg_", group)] = True
    return at.run()


def kpis(at: AppTest) -> list[str]:
    return [m.label for m in at.metric]


@pytest.mark.parametrize("mode", ["sync", "async", "both"])
@pytest.mark.parametrize("scenario_id", bundled_ids())
def test_every_scenario_renders_in_each_mode(scenario_id: str, mode: str) -> None:
    at = app(scenario=scenario_id, mode=mode)
    assert not at.exception and not at.error, (at.exception, at.error)
    assert at.selectbox(key="pg_scenario").value == scenario_id
    assert kpis(at).count("throughput") == (2 if mode == "both" else 1)
    assert figures(at)
    for tab in TABS:
        open_tab(at, tab)
        assert not at.exception and not at.error, (tab, at.exception, at.error)
        assert figures(at), tab


def test_broker_outage_is_shaded_on_the_queue_chart() -> None:
    at = open_tab(app(scenario="broker_outage"), "Over time & queues")
    queues = figure(at, "Queues")
    rects = [s for s in queues["layout"].get("shapes", []) if s.get("type") == "rect"]
    assert [(r["x0"], r["x1"]) for r in rects] == [(60, 75)]
    notes = [a["text"] for a in queues["layout"].get("annotations", [])]
    assert any("broker down" in n and "async only" in n for n in notes)
    assert any("Faults in this scenario" in c.value for c in at.caption)


def test_kafka_hot_key_shows_lag_per_partition() -> None:
    at = open_tab(app(scenario="kafka_partitions_hot_key"), "Over time & queues")
    lag = figure(at, "Kafka consumer lag")
    names = [t.get("name") for t in lag["data"] if t["type"] == "scatter"]
    assert names == [f"partition {p}" for p in range(6)]
    assert "peak Kafka lag" in kpis(at)


@pytest.mark.parametrize(("scenario_id", "fate"), [
    ("poison_message_dlq", "dead-lettered: out of retries"),
    ("worker_crash_ack_modes", "lost: worker died"),
    ("visibility_timeout_duplicates", "succeeded, but ran twice"),
    ("broker_outage", "failed: broker refused it"),
])
def test_task_fates_name_the_reason(scenario_id: str, fate: str) -> None:
    at = open_tab(app(scenario=scenario_id, mode="async"), "Tasks & retries")
    fates = figure(at, "What happened to every task")
    assert fate in fates["data"][0]["y"]


def test_client_resends_get_a_kpi_only_where_they_happen() -> None:
    assert "users resending" not in kpis(app())
    at = app(scenario="retry_storm")
    assert kpis(at).count("users resending") == 2
    assert kpis(at).count("requests failed") == 2


def test_picker_is_grouped_by_topic() -> None:
    at = app()
    box = at.selectbox(key="pg_scenario")
    topics = [label.split(" · ")[0] for label in box.options]
    order = ["Basics", "Retries", "Delivery guarantees", "Kafka", "Faults", "Load"]
    ranks = [order.index(t) if t in order else len(order) for t in topics]
    assert ranks == sorted(ranks) and "Faults" in topics
