"""Charts that count every user: the ECDF levels off at the answered share and says when a
percentile is out of reach, the over-time chart goes on when the system collapses, the KPI says
how many gave up, and the theory chart explains itself."""

from __future__ import annotations

import numpy as np
import pytest

from sim import load_scenario, run
from sim.charts import response_time_ecdf, response_time_over_time, theory_figure
from sim.charts.export import kpi_rows, optional_kpis, report_html
from sim.charts.response import answered_curve


@pytest.fixture(scope="module")
def storm():
    scenario = load_scenario("retry_storm", {"duration": 120})
    return {m: run(scenario, m) for m in ("sync", "async")}


def test_the_ecdf_levels_off_at_the_answered_share(storm) -> None:
    fig = response_time_ecdf({"sync": storm["sync"]})
    share = storm["sync"].summary["requests"]["answered_share"]
    assert share < 0.5
    curve = next(t for t in fig.data if t.name == "sync")
    assert max(curve.y) == pytest.approx(share * 100)
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert f"p95 not reached: {1 - share:.0%} gave up".replace("%", " %") in notes
    assert not any(t.text and "p95" in t.text[0] for t in fig.data if t.mode == "markers+text")


def test_percentiles_over_everyone_when_all_were_answered(storm) -> None:
    curve = answered_curve(storm["async"])
    assert curve["share"] == 1.0
    assert curve["marks"]["p95"] == pytest.approx(
        storm["async"].summary["response_time_s"]["p95"], rel=0.05)


def test_the_user_wait_line_goes_on_when_the_system_collapses(storm) -> None:
    fig = response_time_over_time({"sync": storm["sync"]})
    wait = next(t for t in fig.data if t.name == "sync")
    gave_up = next(t for t in fig.data if t.name == "sync: gave up")
    timeout = storm["sync"].scenario.web.timeout
    arrivals = storm["sync"].requests["arrival"].max()
    last = [y for x, y in zip(wait.x, wait.y, strict=True) if x <= arrivals]
    assert np.isfinite(last[-1]) and last[-1] == pytest.approx(timeout)  # still counting
    assert max(gave_up.y) > 90


def test_the_headline_kpi_says_who_gave_up(storm) -> None:
    summaries = [r.summary for r in storm.values()]
    rows = {r["name"]: r for r in kpi_rows(storm["sync"].summary, optional_kpis(summaries))}
    head = rows["p95 user wait"]
    assert head["value"] >= storm["sync"].scenario.web.timeout - 1e-9
    share = 1 - storm["sync"].summary["requests"]["answered_share"]
    assert head["text"].endswith(f"{share:.0%} gave up".replace("%", " %"))
    assert "p95 response time (answered only)" in rows
    calm = kpi_rows(storm["async"].summary)[0]
    assert "gave up" not in calm["text"]
    assert "gave up" in report_html(storm, figures={})


def test_the_theory_chart_says_what_the_formula_ignores() -> None:
    scenario = load_scenario("email_signup", {"duration": 20})
    fig = theory_figure({m: run(scenario, m) for m in ("sync", "async")})
    ticks = " ".join(fig.layout.xaxis.ticktext)
    assert "early-ack worker reserves" in ticks.replace("<br>", " ")
    assert "c=8 web threads" in ticks.replace("<br>", " ")
