"""Chart builders on the engine's newer features: faults, Kafka lag, task fates with reasons,
downstream levels, client resends, and theory only where a formula applies."""

from __future__ import annotations

import numpy as np
import pytest

from sim import load_scenario, run
from sim.charts import (
    MAX_POINTS,
    busy,
    consumer_lag,
    fates_figure,
    fault_windows,
    figures_for,
    queue_depth,
    retries_over_time,
    task_fates,
    throughput_over_time,
    worker_share,
)
from sim.charts.export import kpi_rows, optional_kpis
from sim.charts.titles import full_title
from sim.prediction import theory_summary as theory_prediction


@pytest.fixture(scope="module")
def outage() -> dict:
    scenario = load_scenario("broker_outage", {"duration": 90})
    return {m: run(scenario, m) for m in ("sync", "async")}


def test_fault_windows_are_named_with_the_runs_they_touch(outage: dict) -> None:
    assert fault_windows(outage) == [{"start": 60.0, "end": 75.0, "label": "broker down",
                                      "runs": ["async"]}]
    for fig in (queue_depth(outage), throughput_over_time(outage), busy(outage)):
        rects = [s for s in fig.layout.shapes if s.type == "rect"]
        assert {(r.x0, r.x1) for r in rects} == {(60.0, 75.0)}
        assert [a.text for a in fig.layout.annotations if "broker" in a.text] == \
            ["⚠ broker down (async only)"]


def test_a_crash_without_restart_is_shaded_to_the_end() -> None:
    scenario = load_scenario("worker_crash_ack_modes", {
        "duration": 40, "faults": [{"kind": "worker_crash", "at": 20}]})
    result = run(scenario, "async")
    (window,) = fault_windows({"async": result})
    assert window["start"] == 20 and window["end"] == result.summary["run"]["end_time_s"]


def test_refused_publishes_show_as_errors_and_fates(outage: dict) -> None:
    fig = throughput_over_time(outage)
    errors = next(t for t in fig.data if t.name == "async: errors and time-outs")
    during = [y for x, y in zip(errors.x, errors.y, strict=True) if 61 <= x <= 74]
    assert min(during) > 5  # ~10 requests/s refused while the broker is down
    assert task_fates(outage["async"].tasks)["failed: broker refused it"] > 100
    answered = next(t for t in fig.data if t.name == "async")
    assert min(answered.y) == 0  # empty windows are drawn as 0, not skipped


def test_kafka_lag_per_partition_and_idle_consumers() -> None:
    scenario = load_scenario("kafka_partitions_hot_key", {"duration": 60})
    results = {m: run(scenario, m) for m in ("sync", "async")}
    fig = consumer_lag(results)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert [t.name for t in lines] == [f"partition {p}" for p in range(6)]
    peaks = next(t for t in fig.data if t.type == "bar")
    assert list(peaks.y) == results["async"].summary["lag"]["per_partition_max"]
    share = worker_share(results)
    assert len(share.data) == 1 and len(share.data[0].y) == 6
    assert consumer_lag({"sync": results["sync"]}) is None


def test_many_partitions_keep_a_readable_legend() -> None:
    scenario = load_scenario("kafka_partitions_hot_key", {"duration": 20,
                                                          "broker.partitions": 12})
    fig = consumer_lag({"async": run(scenario, "async")})
    names = [t.name for t in fig.data if t.type == "scatter"]
    assert len(names) == 8 and names[-1] == "the other 5 partitions (highest)"


def test_every_task_has_one_fate_with_its_reason() -> None:
    for sid in ("poison_message_dlq", "worker_crash_ack_modes", "visibility_timeout_duplicates"):
        result = run(load_scenario(sid, {"duration": 60}), "async")
        fates = task_fates(result.tasks)
        assert sum(fates.values()) == result.summary["tasks"]["published"], sid
    poison = run(load_scenario("poison_message_dlq"), "async")
    fates = task_fates(poison.tasks)
    assert fates["dead-lettered: out of retries"] == poison.summary["tasks"]["dead_lettered"]
    fig = fates_figure({"async": poison})
    assert "dead-lettered: out of retries" in fig.data[0].y


def test_retry_storm_charts_resends_and_the_downstream() -> None:
    scenario = load_scenario("retry_storm", {"duration": 90})
    results = {m: run(scenario, m) for m in ("sync", "async")}
    names = [t.name for t in retries_over_time(results).data]
    assert any(n.startswith("sync: users resending") for n in names)
    fig = busy(results)
    assert "downstream calls" in full_title(fig)
    assert any("waiting for the downstream" in t.name for t in queue_depth(results).data)
    extra = optional_kpis([r.summary for r in results.values()])
    assert {"requests failed", "users resending"} <= set(extra)
    assert [r["name"] for r in kpi_rows(results["sync"].summary, extra)][-len(extra):] == extra


def test_theory_only_where_a_formula_applies() -> None:
    late = load_scenario("email_signup", {"workers.acks_late": True})
    assert theory_prediction(late, "async")["applies"]
    assert "c=8 worker slots" in theory_prediction(late, "async")["note"]
    assert "c=8 web threads" in theory_prediction(late, "sync")["note"]
    for sid, words in (("traffic_spike", "changes over time"), ("broker_outage", "faults"),
                       ("kafka_partitions_hot_key", "Kafka partition"),
                       ("retry_storm", "send their request again")):
        prediction = theory_prediction(load_scenario(sid), "async")
        assert prediction["queue_wait_s"] is None and words in prediction["note"], sid
        assert not prediction["applies"]
    hoarding = theory_prediction(load_scenario("prefetch_hoarding"), "async")
    assert "prefetch" in hoarding["note"] or "reserves" in hoarding["note"]


def test_all_figures_of_every_kind_of_run_are_light() -> None:
    scenario = load_scenario("retry_storm", {"duration": 90})
    figures = figures_for({m: run(scenario, m) for m in ("sync", "async")})
    for name, fig in figures.items():
        for trace in fig.data:
            assert trace.type in ("scatter", "bar"), name
            assert trace.x is None or len(trace.x) <= MAX_POINTS, name
            numeric = trace.y is not None and len(trace.y) and not isinstance(trace.y[0], str)
            if trace.type == "scatter" and numeric:
                assert np.all(np.isfinite(np.asarray(trace.y, dtype=float))), name
