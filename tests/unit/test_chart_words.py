"""Every chart has a text alternative with its key numbers (the sentence a screen reader reads
and the "In numbers" button shows), main's newer charts included, and the response-time
sentence counts every user as the chart does (nobody who gave up is left out)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.charts import figures_for
from sim.charts.experiment import ecdf_band_figure, kpi_bars_figure, plan_figure
from sim.charts.summaries import summary

FALLBACK = "No numbers to summarize for this chart."
NUMBER = re.compile(r"\d")


@pytest.fixture(scope="module")
def storm():
    scenario = load_scenario("retry_storm", {"duration": 120})
    return {m: run(scenario, m) for m in ("sync", "async")}


BREAKER = {"duration": 60, "circuit_breaker.enabled": True}


@pytest.mark.parametrize("sid", ["metastable_retry_storm", "signup_fanout"])
def test_every_run_chart_says_its_numbers(sid: str) -> None:
    scenario = load_scenario(sid, BREAKER if sid.startswith("metastable") else {"duration": 60})
    results = {m: run(scenario, m) for m in ("sync", "async")}
    figures = figures_for(results)
    assert {"breaker", "service_latency"} & set(figures)  # the charts main added are here
    for name, fig in figures.items():
        words = summary(name, results, fig)
        assert words != FALLBACK and NUMBER.search(words), (name, words)


def test_the_breaker_sentence_comes_from_the_breaker() -> None:
    scenario = load_scenario("metastable_retry_storm", BREAKER)
    results = {"async": run(scenario, "async")}
    fig = figures_for(results)["breaker"]
    cb = results["async"].summary["circuit_breaker"]
    assert f"opened {cb['opened']} times" in summary("breaker", results, fig)


def test_the_response_time_sentence_counts_those_who_gave_up(storm) -> None:
    words = summary("response_time_ecdf", storm)
    share = storm["sync"].summary["requests"]["answered_share"]
    assert share < 0.5
    assert f"sync: {share:.0%} of all users answered".replace("%", " %") in words
    assert f"p95 not reached: {1 - share:.0%} gave up".replace("%", " %") in words


def test_experiment_charts_say_their_numbers() -> None:
    table = pd.DataFrame([
        {"label": "sync", "kpi": "p95 user wait", "mean": 1.25, "half_width": 0.1},
        {"label": "async", "kpi": "p95 user wait", "mean": 0.31, "half_width": 0.1}])
    assert summary("kpi_error_bars", {}, kpi_bars_figure(table)) == \
        "p95 user wait: sync 1.25, async 0.31."
    points = pd.DataFrame({"value": [1, 2, 4], "meets": [False, True, True], "order": [1, 2, 3],
                           "w mean": [5.0, 1.5, 0.5], "w ci_high": [6.0, 1.8, 0.6],
                           "w ci_low": [4.0, 1.2, 0.4]})
    words = summary("capacity_plan", {}, plan_figure(points, "workers.count", {"w": 2.0}, 2))
    assert words == "w: at 1: 5, at 2: 1.5, at 4: 0.5."
    shares = list(np.linspace(0, 1, 101))
    band = ecdf_band_figure({"sync": [list(np.linspace(0, 2, 101))] * 2}, shares)
    assert summary("ecdf_band", {}, band) == \
        "sync (2 replications): half of the users within 1 s, 95 % within 1.9 s."
