"""The Defences & recovery tab: goodput, amplification and breaker charts, the defence ladder
with its progress bar and table, and the ladder in the HTML report."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from sim import load_scenario, run
from sim.charts.export import report_html
from tests.ui.charts import chart_specs

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TAB = "Defences & recovery"


def app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    return at.run()


def titles(at: AppTest) -> list[str]:
    return [spec["layout"]["title"]["text"] for spec in chart_specs(at)]


def test_defences_tab_draws_goodput_amplification_and_the_breaker_band() -> None:
    at = app(scenario="metastable_retry_storm", mode="sync",
             **{"circuit_breaker.enabled": "true", "duration": "60"})
    at.session_state["pg_tab"] = TAB
    at.run()
    assert not at.exception
    found = titles(at)
    assert found[0].startswith("Goodput vs offered load")
    assert found[1].startswith("Retry amplification")
    assert found[2].startswith("Circuit breaker state")


def test_the_defence_ladder_runs_on_demand_and_goes_into_the_report() -> None:
    at = app(scenario="metastable_retry_storm", mode="sync", duration="60")
    at.session_state["pg_tab"] = TAB
    at.run()
    at.button(key="pg_run_ladder").click().run()
    assert not at.exception
    (text,) = [m.value for m in at.markdown if m.value.startswith("| defences |")]
    rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in text.splitlines()]
    head, frame = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[2:]]
    assert [r["defences"] for r in frame] == ["no defences", "back-off + jitter",
                                              "+ retry budget", "+ circuit breaker",
                                              "+ deadlines / expiry", "+ load shedding"]
    assert frame[0]["recovery (s)"] == "not before the end" and "recovery (s)" in head
    assert frame[2]["bounds"] == "volume"
    token, ladders = at.session_state["pg_ladder"]  # kept for this configuration's report
    assert token[1:] == (("sync",), 11)
    scenario = load_scenario("metastable_retry_storm").model_copy(update={"duration": 60.0})
    page = report_html({"sync": run(scenario, "sync")}, figures={}, ladders=ladders)
    assert "Defence ladder" in page and "+ retry budget" in page


def test_other_pages_point_to_the_ladder() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("ui/pages/compare.py").run()
    at.session_state["cmp_tab"] = TAB
    at.run()
    assert not at.exception
    assert any("Playground page" in c.value for c in at.caption)
