"""Chart builders on small hand-made runs and one short real run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.charts import (
    BLUE,
    MAX_POINTS,
    VERMILLION,
    color_for,
    consumer_lag,
    figures_for,
    journey_segments,
    resample,
    response_time_ecdf,
    task_fates,
    theory_prediction,
    throughput_over_time,
)
from sim.runner import Result
from sim.schema import ExponentialDist


def _cat(values: list[str], names: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical(values, categories=list(names))


def tiny_result(mode: str = "async", extra: dict | None = None, lag: bool = False) -> Result:
    """Three requests: one fast, one whose task is retried once, one whose task is lost."""
    requests = pd.DataFrame({
        "request_id": [0, 1, 2], "arrival": [1.0, 2.0, 3.0], "start": [1.0, 2.5, 3.0],
        "end": [1.1, 2.7, 3.2],
        "outcome": _cat(["completed"] * 3, ("in_flight", "completed", "failed", "timed_out"))})
    states = ("in_queue", "in_progress", "succeeded", "failed", "dead_lettered", "lost")
    tasks = pd.DataFrame({
        "task_id": [0, 1, 2], "request_id": [0, 1, 2], "published": [1.1, 2.7, 3.2],
        "first_start": [1.1, 2.8, 3.3], "finished": [1.5, 5.0, np.nan],
        "state": _cat(["succeeded", "succeeded", "lost"], states),
        "attempts": [1, 2, 1], "duplicates": [0, 0, 0], "redeliveries": [0, 0, 0],
        "reason": pd.Categorical(["", "", "worker_lost"])})
    attempts = pd.DataFrame({
        "task_id": [0, 1, 1, 2], "attempt": [1, 1, 2, 1], "worker": [0, 0, 1, 1],
        "enqueued": [1.1, 2.7, 4.0, 3.2], "start": [1.1, 2.8, 4.2, 3.3],
        "end": [1.5, 3.0, 5.0, 3.4],
        "outcome": _cat(["success", "failure", "success", "killed"],
                        ("running", "success", "failure", "killed"))})
    time = np.linspace(0.1, 10, 100)
    ts = pd.DataFrame({"time": time, "web_queue_mean": 0.0, "web_busy_mean": 1.0,
                       "queue_depth_mean": np.sin(time) ** 2, "worker_busy_mean": 2.0,
                       "retry_waiting_mean": 0.0})
    if lag:
        ts["lag_p0_mean"], ts["lag_p1_mean"] = 1.0, 2.0
        ts["lag_p0_max"], ts["lag_p1_max"] = 1.0, 3.0
    summary = {"response_time_s": {"mean": 0.2, "p50": 0.15, "p95": 0.19, "p99": 0.2, "max": 0.2},
               "queue_wait_s": {"mean": 0.1}, "run": {"end_time_s": 10.0},
               "throughput_rps": 0.3, "warnings": []}
    return Result(load_scenario("email_signup"), mode, 1, summary, requests, tasks, attempts,
                  ts, extra or {})


def test_series_colours_are_fixed_everywhere() -> None:
    assert (color_for("sync"), color_for("async")) == (VERMILLION, BLUE)
    assert color_for("A: sync, prefetch 1") == VERMILLION and color_for("B: async") == BLUE
    results = {"sync": tiny_result("sync"), "async": tiny_result("async")}
    for fig in (response_time_ecdf(results), throughput_over_time(results)):
        lines = {t.name: t.line.color for t in fig.data if t.name in results}
        assert lines == {"sync": VERMILLION, "async": BLUE}


def test_ecdf_marks_the_percentiles_of_every_user() -> None:
    """Times 0.1, 0.7 and 0.2 s: p50 is 0.2 s, p95 and p99 are 0.7 s (3 users, none gave up);
    when the slowest one timed out instead, p95 is out of reach and the chart says so."""
    fig = response_time_ecdf({"async": tiny_result()})
    marks = {t.y[0]: t.x[0] for t in fig.data if t.mode == "markers+text"}
    assert marks == pytest.approx({50: 0.2, 95: 0.7, 99: 0.7})
    result = tiny_result()
    result.requests["outcome"] = _cat(["completed", "timed_out", "completed"],
                                      ("in_flight", "completed", "failed", "timed_out"))
    fig = response_time_ecdf({"async": result})
    marks = {t.y[0]: t.x[0] for t in fig.data if t.mode == "markers+text"}
    assert marks == pytest.approx({50: 0.2})
    assert "p95 not reached: 33 % gave up" in fig.layout.annotations[0].text


def test_task_fates_count_each_task_once() -> None:
    fates = task_fates(tiny_result().tasks)
    assert fates["succeeded first try"] == 1
    assert fates["succeeded after retries"] == 1
    assert fates["lost: worker died"] == 1
    assert sum(fates.values()) == 3


def test_journey_shows_wait_attempts_and_backoff() -> None:
    seg = journey_segments(tiny_result(), [1])
    kinds = list(seg["kind"])
    assert kinds == ["waiting for a web thread", "handler (web work)", "publishing the job",
                     "waiting in the queue", "attempt failed", "back-off before retry",
                     "waiting in the queue", "attempt succeeded", "response"]
    backoff = seg[seg["kind"] == "back-off before retry"].iloc[0]
    assert (backoff["start"], backoff["end"]) == pytest.approx((1.0, 2.0))  # since arrival 2.0


def _span(seg: pd.DataFrame, kind: str) -> tuple[float, float]:
    row = seg[seg["kind"] == kind].iloc[0]
    return float(row["start"]), float(row["end"])


def test_journey_splits_a_constant_publish_off_the_handler() -> None:
    """email_signup publishes in a constant 2 ms: handler 0.5 → 0.698, publish → 0.7 s."""
    seg = journey_segments(tiny_result(), [1])
    assert _span(seg, "handler (web work)") == pytest.approx((0.5, 0.698))
    assert _span(seg, "publishing the job") == pytest.approx((0.698, 0.7))


def test_journey_keeps_a_random_publish_with_the_handler_and_says_so() -> None:
    tiny = tiny_result()
    web = tiny.scenario.web.model_copy(update={"publish": ExponentialDist(mean=0.002)})
    result = replace(tiny, scenario=tiny.scenario.model_copy(update={"web": web}))
    kinds = set(journey_segments(result, [1])["kind"])
    assert "handler + publish (web work)" in kinds
    assert not {"handler (web work)", "publishing the job"} & kinds
    sync = set(journey_segments(tiny_result("sync"), [1])["kind"])
    assert "handler (web work)" in sync and "publishing the job" not in sync


def test_a_real_async_journey_ends_its_publish_when_the_job_is_published() -> None:
    result = run(load_scenario("email_signup", {"duration": 10}), mode="async")
    ids = result.requests["request_id"].tolist()[:5]
    seg = journey_segments(result, ids)
    pub = seg[seg["kind"] == "publishing the job"]
    assert len(pub) == 5 and (pub["end"] - pub["start"]).round(9).eq(0.002).all()


def test_fault_windows_are_shaded() -> None:
    fault = {"kind": "broker_outage", "start": 2.0, "end": 4.0, "label": "broker down"}
    fig = throughput_over_time({"async": tiny_result(extra={"faults": [fault]})})
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(2.0, 4.0)]


def test_consumer_lag_only_when_partitions_are_recorded() -> None:
    assert consumer_lag({"async": tiny_result()}) is None
    fig = consumer_lag({"async": tiny_result(lag=True)})
    lines = [t.name for t in fig.data if t.type == "scatter"]
    assert lines == ["partition 0", "partition 1"]
    peaks = next(t for t in fig.data if t.type == "bar")
    assert list(peaks.x) == ["P0", "P1"]


def test_resample_caps_points_and_keeps_peaks() -> None:
    frame = pd.DataFrame({"time": np.arange(5000.0), "x_mean": 1.0, "x_max": 0.0})
    frame.loc[1234, "x_max"] = 9.0
    out = resample(frame)
    assert len(out) <= MAX_POINTS and out["x_max"].max() == 9.0 and out["time"].iloc[-1] == 4999


def test_theory_says_when_the_queue_is_unstable() -> None:
    busy = load_scenario("email_signup", {"arrivals.rate": 500, "duration": 5})
    prediction = theory_prediction(Result(busy, "sync", 1, {}, *[pd.DataFrame()] * 4))
    assert prediction["queue_wait_s"] is None and "unstable" in prediction["note"]
    assert not prediction["applies"]
    calm = theory_prediction(Result(load_scenario("email_signup"), "async", 1, {},
                                    *[pd.DataFrame()] * 4))
    assert 0 < calm["queue_wait_s"] < 1


def test_real_run_figures_are_light_svg_charts() -> None:
    scenario = load_scenario("email_signup", {"duration": 20})
    figures = figures_for({m: run(scenario, m) for m in ("sync", "async")})
    assert {"response_time_ecdf", "throughput", "queues", "busy", "retries", "task_fates",
            "theory", "journey_sync", "journey_async"} <= set(figures)
    for name, fig in figures.items():
        for trace in fig.data:
            assert trace.type in ("scatter", "bar"), name  # never WebGL
            assert trace.x is None or len(trace.x) <= MAX_POINTS, name
        assert fig.layout.title.text, name
