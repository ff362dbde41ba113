"""Every page through Streamlit's AppTest: renders, reacts to knobs, links, bad input."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from sim.charts.titles import plain_title
from tests.ui.charts import chart_specs
from tests.ui.test_scenarios import unfold

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    return at.run()


def seconds(text: str) -> float:
    number, unit = text.split(" · ")[0].split()
    return float(number) / 1000 if unit == "ms" else float(number)


def metrics(at: AppTest, name: str) -> list[str]:
    return [m.value for m in at.metric if m.label == name]


def test_playground_shows_kpis_for_both_modes_and_charts() -> None:
    at = app()
    assert not at.exception
    p95 = metrics(at, "p95 user wait")
    assert len(p95) == 2 and seconds(p95[1]) < seconds(p95[0])  # async answers faster
    assert chart_titles(at)[0].startswith("Response time")
    assert at.query_params["scenario"] == "email_signup"


def chart_titles(at: AppTest) -> list[str]:
    return [plain_title(spec["layout"]["title"]["text"]) for spec in chart_specs(at)]


@pytest.mark.parametrize(("tab", "expected"), [
    ("Over time & queues", ["What users", "Throughput", "Queues", "Busy"]),
    ("Tasks & retries", ["What happened to every task", "Retries"]),
    ("Request journeys", ["Journey of 20 sampled requests — sync", "Journey of 20"]),
    ("Theory & load sweep", ["Queue wait: simulation vs theory"]),
])
def test_each_tab_draws_its_charts(tab: str, expected: list[str]) -> None:
    at = app()
    at.session_state["pg_tab"] = tab
    at.run()
    titles = chart_titles(at)
    assert not at.exception and len(titles) >= len(expected)
    assert all(t.startswith(e) for t, e in zip(titles, expected, strict=False))


def test_load_sweep_runs_on_demand() -> None:
    at = app(**{"duration": "30"})
    at.session_state["pg_tab"] = "Theory & load sweep"
    at.run()
    assert len(chart_titles(at)) == 1
    at.button(key="pg_run_sweep").click().run()
    assert not at.exception
    specs = chart_specs(at)
    sweep = next(s for s in specs if s["layout"]["title"]["text"].startswith("Load sweep"))
    sync = next(t for t in sweep["data"] if t["name"] == "sync")
    p95 = numbers(sync["y"])
    assert p95[-1] > 5 * p95[0]  # the hockey stick


def numbers(array: object) -> list[float]:
    """Plotly JSON arrays may be plain lists or base64 typed arrays."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def test_more_workers_shorten_the_async_task_latency() -> None:
    at = app()
    before = seconds(metrics(at, "p95 task latency")[1])
    at.slider(key="pg_workers").set_value(4).run()
    after = seconds(metrics(at, "p95 task latency")[1])
    assert not at.exception and after < before
    assert at.query_params["workers.count"] == "4"


def test_more_web_threads_shorten_the_sync_user_wait() -> None:
    at = unfold(app(mode="sync"), "Web tier")
    assert len(metrics(at, "p95 user wait")) == 1
    before = seconds(metrics(at, "p95 user wait")[0])
    at.slider(key="pg_web_workers").set_value(16).run()
    assert seconds(metrics(at, "p95 user wait")[0]) < before


def test_a_shared_link_restores_the_configuration() -> None:
    at = app(scenario="email_signup", seed="7", mode="async",
             **{"workers.count": "3", "retry.jitter": "none", "task.service.mean": "0.5"})
    assert not at.exception and not at.error
    assert at.slider(key="pg_workers").value == 3
    assert at.slider(key="pg_task_mean").value == 0.5
    assert at.selectbox(key="pg_jitter").value == "none"
    assert at.number_input(key="pg_seed").value == 7
    assert at.radio(key="pg_mode").value == "async"
    assert len(metrics(at, "p95 user wait")) == 1


def test_a_bad_link_value_names_the_field() -> None:
    at = app(**{"workers.count": "0"})
    assert not at.exception
    assert any("workers.count" in e.value for e in at.error)
    assert at.slider(key="pg_workers").value == 2  # back to the scenario's value


def test_overload_warning_is_shown_not_a_traceback() -> None:
    at = app(mode="sync", **{"arrivals.rate": "60", "duration": "30"})
    assert not at.exception
    assert any("overload" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["compare", "planner", "lab", "about"])
def test_every_page_renders(page: str) -> None:
    at = app()
    at.switch_page(f"ui/pages/{page}.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value


def test_compare_runs_a_and_b_on_the_same_traffic() -> None:
    at = app()
    at.switch_page("ui/pages/compare.py").run()
    assert len(metrics(at, "throughput")) == 2
    at.selectbox(key="cmp_preset").set_value("Prefetch 1 vs 10 (async)").run()
    assert not at.exception
    assert at.slider(key="cmp_B_prefetch").value == 10
    assert at.query_params["B.workers.prefetch_multiplier"] == "10"
    assert at.query_params["A.mode"] == "async"


def test_scenario_lab_names_the_bad_field() -> None:
    at = app()
    at.switch_page("ui/pages/lab.py").run()
    text = at.text_area(key="lab_yaml").value
    at.text_area(key="lab_yaml").set_value(text.replace("count: 2", "count: 0")).run()
    at.button(key="lab_run").click().run()
    assert not at.exception
    assert any("workers.count" in e.value for e in at.error)
    at.text_area(key="lab_yaml").set_value("duration: 20\nworkers: {count: 3, speed: 2}\n").run()
    at.button(key="lab_run").click().run()
    assert any("workers.speed" in e.value for e in at.error)
    at.text_area(key="lab_yaml").set_value("duration: 20\nworkers: {count: 3}\n").run()
    at.button(key="lab_run").click().run()
    assert not at.error and at.success and len(metrics(at, "throughput")) == 2


def test_scenario_lab_marks_results_of_edited_yaml_as_out_of_date() -> None:
    at = app()
    at.switch_page("ui/pages/lab.py").run()
    at.button(key="lab_run").click().run()
    assert at.success and not at.warning
    text = at.text_area(key="lab_yaml").value
    at.text_area(key="lab_yaml").set_value(text.replace("count: 2", "count: 3")).run()
    assert any("out of date" in w.value for w in at.warning)
    assert len(metrics(at, "throughput")) == 2  # still shown, but marked
    at.button(key="lab_run").click().run()
    assert not any("out of date" in w.value for w in at.warning)
