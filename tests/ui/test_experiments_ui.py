"""Replications, the load sweep and the capacity planner in the app, through AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.ui.charts import chart_specs

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    return at.run()


def titles(at: AppTest) -> list[str]:
    return [spec["layout"]["title"]["text"] for spec in chart_specs(at)]


def specs(at: AppTest) -> list[dict]:
    return chart_specs(at)


def test_playground_replications_show_mean_and_interval_and_bands() -> None:
    at = app(duration="20")
    assert all("±" not in m.value for m in at.metric)  # one run: no interval
    at.slider(key="pg_reps").set_value(3).run()
    assert not at.exception and not at.error
    p95 = [m.value for m in at.metric if m.label == "p95 user wait"]
    assert len(p95) == 2 and all("±" in v for v in p95)
    assert any("3 replications" in m.value for m in at.markdown)
    assert titles(at)[0].startswith("Response time")
    ecdf = next(s for s in specs(at) if s["layout"]["title"]["text"].startswith("Response"))
    assert "mean of 3 replications" in ecdf["layout"]["title"]["text"]
    bands = [t for t in ecdf["data"] if t.get("fill") == "toself"]
    assert len(bands) == 2  # one 95 % band per design, in its own colour, translucent
    lines = {t["name"]: t["line"]["color"] for t in ecdf["data"] if t.get("mode") == "lines"
             and not t.get("fill")}
    assert lines["sync"] != lines["async"]
    for band in bands:
        mode = band["name"].split()[0]
        r, g, b = (int(lines[mode][i:i + 2], 16) for i in (1, 3, 5))
        assert band["fillcolor"].startswith(f"rgba({r},{g},{b},0.")
    assert "Mean of 3 replications with 95 % confidence" in ecdf["layout"]["meta"]["numbers"]
    captions = " ".join(c.value for c in at.caption)
    assert "pointwise band of their ECDFs" in captions
    at.session_state["pg_tab"] = "Over time & queues"
    at.run()
    over = next(s for s in specs(at) if s["layout"]["title"]["text"].startswith("What users"))
    assert sum(t.get("fill") == "toself" for t in over["data"]) >= 2


def test_tasks_tab_has_error_bars_and_first_replication_charts_say_so() -> None:
    at = app(duration="20")
    at.slider(key="pg_reps").set_value(3).run()
    at.session_state["pg_tab"] = "Tasks & retries"
    at.run()
    assert not at.exception and not at.error
    charts = {s["layout"]["title"]["text"].split("<br>")[0]: s for s in specs(at)}
    fates = charts["What happened to every task"]
    assert all(t["error_x"]["array"] for t in fates["data"] if t["type"] == "bar")
    retries = charts["Retries per run"]
    assert {t["name"] for t in retries["data"]} == {"sync", "async"}
    assert all("error_y" in t for t in retries["data"])
    at.session_state["pg_tab"] = "Over time & queues"
    at.run()
    assert any("first replication only" in c.value for c in at.caption)  # queues, busy
    throughput = next(s for s in specs(at) if s["layout"]["title"]["text"].startswith("Thr"))
    for tab in ("Downloads", "Watch it run", "Request journeys"):  # the first run's details
        at.session_state["pg_tab"] = tab
        at.run()
        assert any("first replication only" in c.value for c in at.caption), tab
    assert "mean of 3 replications" in throughput["layout"]["title"]["text"]
    assert sum(t.get("fill") == "toself" for t in throughput["data"]) == 2


def test_one_replication_keeps_the_single_run_charts() -> None:
    at = app(duration="20")
    assert not any("first replication" in c.value for c in at.caption)
    assert titles(at)[0].startswith("Response time")
    assert "replications" not in titles(at)[0]


def test_compare_says_which_differences_are_significant() -> None:
    at = app(duration="20")
    at.switch_page("ui/pages/compare.py").run()
    at.slider(key="cmp_reps").set_value(3).run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "Is the difference real?" in text
    assert "B p95 user wait is **lower**" in text  # async (B) answers far faster
    ecdf = specs(at)[0]
    assert "mean of 3 replications" in ecdf["layout"]["title"]["text"]
    assert sum(t.get("fill") == "toself" for t in ecdf["data"]) == 2  # a band for A and B


def test_load_sweep_any_key_with_bands_and_theory() -> None:
    at = app(duration="20")
    at.session_state["pg_tab"] = "Theory & load sweep"
    at.run()
    assert any(o.endswith("retry.max_retries") for o in at.selectbox(key="pg_sweep_x").options)
    at.selectbox(key="pg_sweep_x").set_value("workers.count")
    at.slider(key="pg_sweep_points").set_value(4)
    at.slider(key="pg_sweep_reps").set_value(2)
    at.button(key="pg_run_sweep").click().run()
    assert not at.exception and not at.error
    specs = {spec["layout"]["title"]["text"]: spec for spec in chart_specs(at)}
    sweep = next(v for k, v in specs.items() if k.startswith("Load sweep"))
    assert sweep["layout"]["xaxis"]["title"]["text"] == "workers.count"
    assert any(t.get("fill") == "toself" for t in sweep["data"])
    assert any(k.startswith("Mean queue wait below saturation") for k in specs)


def test_planner_page_finds_a_setting_and_shows_the_points() -> None:
    at = app()
    at.switch_page("ui/pages/planner.py").run()
    assert not at.exception and at.title[0].value == "Capacity planner"
    at.selectbox(key="plan_slo1").set_value("task_latency_s.p95")
    at.number_input(key="plan_target1").set_value(5.0)
    at.slider(key="plan_range").set_value((1, 8))
    at.slider(key="plan_reps").set_value(2)
    at.button(key="plan_run").click().run()
    assert not at.exception and not at.error
    assert at.success and "is the smallest setting" in at.success[0].value
    assert titles(at)[0].startswith("Capacity planner: workers.count")
    table = at.dataframe[0].value
    assert table["meets every objective"].any() and len(table) < 8
