"""The animated system view: where each entity is at each moment (hand-made records), counts
against the engine's own time series (real runs), the timeline rules, and the figure's build."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.charts.animation import (
    STYLE,
    build_animation,
    frame_dots,
    frame_times,
    frame_words,
    snapshot,
    write_animation_html,
)
from sim.charts.animation_query import counts, nice_step, segments, timeline
from sim.charts.animation_segments import (
    BACKOFF,
    QUEUE,
    S_BACKOFF,
    THREAD,
    WAITING,
    WORKER,
    build_segments,
)
from sim.charts.palette import STATE_COLORS
from sim.runner import Result, compare
from sim.scenario import apply_overrides, from_dict

OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7", "#999999"}
REQ = ("in_flight", "completed", "failed", "timed_out")
TASK = ("in_queue", "in_progress", "succeeded", "failed", "dead_lettered", "lost")
ATT = ("running", "success", "failure", "killed")


def make(mode: str, scenario: dict, requests: list, tasks: list, attempts: list, end: float,
         faults: list | None = None) -> Result:
    """A Result from hand-written rows (request, task and attempt tuples as in sim.records)."""
    sc = from_dict(scenario)
    req = pd.DataFrame(requests, columns=["request_id", "arrival", "start", "end", "outcome"])
    req["outcome"] = pd.Categorical(req["outcome"], categories=REQ)
    req["client_retry"] = False
    tk = pd.DataFrame(tasks, columns=["task_id", "request_id", "published", "finished",
                                      "state"])
    tk["state"] = pd.Categorical(tk["state"], categories=TASK)
    att = pd.DataFrame(attempts, columns=["task_id", "attempt", "worker", "enqueued", "start",
                                          "end", "outcome"])
    att["outcome"] = pd.Categorical(att["outcome"], categories=ATT)
    summary = {"run": {"end_time_s": end}, "warnings": []}
    return Result(sc, mode, 1, summary, req, tk, att, pd.DataFrame({"time": [end]}),
                  {"faults": faults or []})


def crash_run() -> Result:
    """Async, 2 web threads, 1 worker with 2 slots; the worker crashes at 1.8 s and restarts
    at 2.5 s. Task 0 fails once, backs off, waits while the worker is down, then succeeds;
    task 1 is killed by the crash and delivered again; task 2 is killed and lost (which of the
    two happens depends on acks_late in the engine; here both, to see both)."""
    return make(
        "async",
        {"duration": 1, "web": {"workers": 2}, "task": {"service": {"dist": "constant",
                                                                    "value": 1.0}},
         "workers": {"count": 1, "concurrency": 2},
         "faults": [{"kind": "worker_crash", "at": 1.8, "count": 1, "restart_after": 0.7}]},
        [(0, 0.0, 0.0, 0.1, "completed"), (1, 0.05, 0.05, 0.15, "completed"),
         (2, 0.08, 0.1, 0.2, "completed")],
        [(0, 0, 0.1, 3.0, "succeeded"), (1, 1, 0.15, 3.5, "succeeded"),
         (2, 2, 0.2, 1.8, "lost")],
        [(0, 1, 0, 0.1, 0.1, 1.1, "failure"), (1, 1, 0, 0.15, 0.15, 1.8, "killed"),
         (2, 1, 0, 0.2, 1.1, 1.8, "killed"), (0, 2, 0, 2.0, 2.5, 3.0, "success"),
         (1, 1, 0, 0.15, 2.5, 3.5, "success")],
        end=3.5, faults=[{"kind": "worker_crash", "start": 1.8, "end": 2.5,
                          "label": "1 worker crashed"}])


def sync_run() -> Result:
    """Sync, one web thread: request 0's task fails, backs off, succeeds, all in the thread;
    request 1 waits for the thread meanwhile."""
    return make(
        "sync", {"duration": 1, "web": {"workers": 1}},
        [(0, 0.0, 0.0, 2.0, "completed"), (1, 0.5, 2.0, 2.5, "completed")],
        [(0, 0, 0.1, 2.0, "succeeded"), (1, 1, 2.1, 2.5, "succeeded")],
        [(0, 1, -1, 0.1, 0.1, 0.6, "failure"), (0, 2, -1, 1.0, 1.0, 2.0, "success"),
         (1, 1, -1, 2.1, 2.1, 2.5, "success")],
        end=2.5)


def states(result: Result, t: float) -> dict[tuple[int, str], str]:
    segs = build_segments(result)
    frame = segs.frame()
    on = frame[(frame.t0 <= t) & (frame.t1 > t)]
    return {(int(r.request), r.stage): r.state for r in on.itertuples()}


# --- where is everyone ------------------------------------------------------------------------

@pytest.mark.parametrize(("t", "expected"), [
    (0.09, {(0, "thread"): "in the web handler", (1, "thread"): "in the web handler",
            (2, "waiting"): "waiting for a web thread"}),
    (0.12, {(1, "thread"): "in the web handler", (2, "thread"): "in the web handler",
            (0, "worker"): "running the job"}),
    (0.5, {(0, "worker"): "running the job", (1, "worker"): "running the job",
           (2, "queue"): "queued"}),
    (1.5, {(0, "backoff"): "backing off before a retry", (1, "worker"): "running the job",
           (2, "worker"): "running the job"}),
    (1.9, {(0, "backoff"): "backing off before a retry", (1, "queue"): "queued",
           (2, "lost"): "lost"}),
    (2.2, {(0, "queue"): "queued", (1, "queue"): "queued", (2, "lost"): "lost"}),
    (2.7, {(0, "worker"): "running the job", (1, "worker"): "running the job",
           (2, "lost"): "lost"}),
    (3.2, {(0, "done"): "done", (1, "worker"): "running the job", (2, "lost"): "lost"}),
    (3.4999, {(0, "done"): "done", (1, "worker"): "running the job", (2, "lost"): "lost"}),
])
def test_async_entities_are_in_the_right_stage(t: float, expected: dict) -> None:
    assert states(crash_run(), t) == expected


@pytest.mark.parametrize(("t", "expected"), [
    (0.05, {(0, "thread"): "in the web handler"}),
    (0.3, {(0, "thread"): "running the job"}),
    (0.8, {(0, "thread"): "backing off before a retry",
           (1, "waiting"): "waiting for a web thread"}),
    (1.5, {(0, "thread"): "running the job", (1, "waiting"): "waiting for a web thread"}),
    (2.05, {(1, "thread"): "in the web handler", (0, "done"): "done"}),
    (2.3, {(1, "thread"): "running the job", (0, "done"): "done"}),
])
def test_sync_thread_holds_the_request_through_retries(t: float, expected: dict) -> None:
    assert states(sync_run(), t) == expected


def test_sync_everything_stays_in_one_thread_slot() -> None:
    segs = build_segments(sync_run())
    held = segs.frame().query("stage == 'thread' and request == 0")
    assert set(held["slot"]) == {0} and len(held) == 4  # handler, run, back-off, run
    assert held["t0"].min() == 0.0 and held["t1"].max() == 2.0


def test_crash_greys_out_the_worker_and_redelivers_or_loses() -> None:
    result = crash_run()
    snap = snapshot(result, 1.95)
    assert snap["down_workers"] == [0] and snap["faults"] == ["1 worker crashed"]
    assert snap["counts"]["lost"] == 1 and snap["counts"]["queue"] == 1
    assert [q["request"] for q in snap["queue"]] == [1]  # task 1 back in the queue
    assert [b["request"] for b in snap["backing_off"]] == [0]
    fig = build_animation({"async": result})
    times = frame_times(fig)
    i = int(np.argmin(abs(times - 1.95)))
    words = frame_words(fig, i)
    assert words["0:down0"] == "DOWN" and words["0:workers2"] == "1 worker down"
    assert words["0:banner"] == "⚠ 1 worker crashed" and words["0:lost"] == "lost 1"
    grey = fig.frames[i].data[0]  # the crashed worker's box is filled grey
    assert fig.data[fig.frames[i].traces[0]].name == "down"
    assert [v for v in grey.x if v is not None]
    later = int(np.argmin(abs(times - 2.6)))
    assert frame_words(fig, later)["0:down0"] == ""
    assert not [v for v in fig.frames[later].data[0].x if v is not None]


def test_snapshot_lists_who_holds_each_thread_and_slot() -> None:
    snap = snapshot(crash_run(), 1.5)
    # task 0 left slot 0 at 1.1 s (failed) and task 2 took it; task 1 kept slot 1
    assert [(w["worker"], w["slot"], w["request"], w["task"]) for w in snap["workers"]] == \
        [(0, 0, 2, 2), (0, 1, 1, 1)]
    sync = snapshot(sync_run(), 0.8)
    assert sync["threads"] == [{"thread": 0, "request": 0, "task": 0,
                                "doing": "backing off before retry 1", "for_s": 0.2}]
    assert sync["waiting"] == [{"request": 1, "doing": "waiting for a web thread",
                                "for_s": 0.3}]


def test_frames_place_the_dots_where_the_segments_say() -> None:
    result = crash_run()
    fig = build_animation({"async": result})
    times = frame_times(fig)
    for t in (0.1, 0.5, 1.5, 1.9, 2.2, 2.75, 3.25):
        i = int(np.argmin(abs(times - t)))
        dots = frame_dots(fig, i)
        seen = {(int(r.request), r.stage): r.state for r in dots.itertuples()}
        assert seen == states(result, times[i]), times[i]


def test_duplicates_show_as_a_second_copy() -> None:
    """Redis visibility timeout: a twin of task 0 runs on worker 1 while worker 0 still runs
    it; the task is settled by the first copy, the twin finishes later."""
    result = make(
        "async", {"duration": 1, "broker": {"kind": "redis", "visibility_timeout": 30},
                  "workers": {"count": 2, "concurrency": 1, "acks_late": True}},
        [(0, 0.0, 0.0, 0.0, "completed")], [(0, 0, 0.0, 40.0, "succeeded")],
        [(0, 1, 0, 0.0, 0.0, 40.0, "success"), (0, 1, 1, 0.0, 31.0, 60.0, "success")],
        end=60.0)
    assert states(result, 30.5) == {(0, "worker"): "running the job",
                                    (0, "queue"): "duplicate copy queued"}
    at35 = build_segments(result).frame().query("t0 <= 35 < t1")
    assert sorted(at35["state"]) == ["duplicate copy running", "running the job"]
    assert sorted(at35["slot"]) == [0, 1]  # worker 0 slot 0, worker 1 slot 0
    assert states(result, 45) == {(0, "worker"): "duplicate copy running",
                                  (0, "done"): "done"}


def test_kafka_retry_in_place_keeps_the_consumer_slot() -> None:
    scenario = apply_overrides(load_scenario("kafka_partitions_hot_key"),
                               {"duration": 40, "task.failure_rate": 0.3})
    segs = segments(run(scenario, "async"))
    frame = segs.frame()
    held = frame[(frame.stage == "worker") & (frame.state == "backing off before a retry")]
    assert len(held) > 0 and not (frame.stage == "backoff").any()
    runs = frame[frame.stage == "worker"]
    for row in held.head(20).itertuples():  # the run just before holds the same cell
        before = runs[(runs.task == row.task) & (np.isclose(runs.t1, row.t0))]
        assert set(before["slot"]) == {row.slot}
    assert segs.lanes == [f"partition {i}" for i in range(6)]  # the engine records partitions


# --- counts against the engine ----------------------------------------------------------------

LEVELS = {"web_queue": lambda s: s.stage == WAITING, "web_busy": lambda s: s.stage == THREAD,
          "queue_depth": lambda s: s.stage == QUEUE,
          "worker_busy": lambda s: (s.stage == WORKER) & (s.state != S_BACKOFF),
          "retry_waiting": lambda s: s.stage == BACKOFF}


@pytest.mark.parametrize(("scenario_id", "mode", "changes"), [
    ("email_signup", "sync", {"task.failure_rate": 0.3}),
    ("email_signup", "async", {"task.failure_rate": 0.3}),
    ("worker_crash_ack_modes", "async", {"duration": 90}),
    ("worker_crash_ack_modes", "async", {"duration": 90, "workers.acks_late": True}),
    ("visibility_timeout_duplicates", "async", {"duration": 200}),
    ("broker_outage", "async", {}),
    ("traffic_spike", "sync", {}),
    ("metastable_retry_storm", "sync", {"duration": 60, "circuit_breaker.enabled": True,
                                        "web.max_queue": 20, "arrivals.deadline": 4.0}),
    ("retry_storm", "async", {"duration": 90, "circuit_breaker.enabled": True,
                              "task.expires": 3.0, "retry.budget.ratio": 0.2}),
])
def test_counts_equal_the_engines_time_series(scenario_id: str, mode: str, changes: dict
                                               ) -> None:
    result = run(apply_overrides(load_scenario(scenario_id), changes), mode)
    segs = segments(result)
    ts = result.timeseries
    ends = ts["time"].to_numpy()
    starts = np.r_[0.0, ends[:-1]]
    width = ends - starts
    ok = width > 1e-9
    for level, pick in LEVELS.items():
        mine = pick(segs)
        t0, t1 = segs.t0[mine], np.minimum(segs.t1[mine], segs.end)
        # time average per bin: exactly the engine's level integral over the bin
        overlap = np.clip(np.minimum(t1[None, :], ends[:, None])
                          - np.maximum(t0[None, :], starts[:, None]), 0, None).sum(axis=1)
        np.testing.assert_allclose(overlap[ok] / width[ok], ts[f"{level}_mean"].to_numpy()[ok],
                                   atol=1e-6, err_msg=level)
        # at an instant inside a bin where the level never moved, the count is that level
        flat = np.flatnonzero(ok & np.isclose(ts[f"{level}_mean"], ts[f"{level}_max"]))[::7]
        for k in flat[:40]:
            t = (starts[k] + ends[k]) / 2
            n = int(((t0 <= t) & (t1 > t)).sum())
            assert n == ts[f"{level}_max"].iloc[k], (level, t)
    t = float(ends[len(ends) // 2])
    c = counts(segs, t)
    assert c["thread"] <= result.scenario.web.workers
    assert c["done"] == int(((result.tasks["state"] == "succeeded")
                             & (result.tasks["finished"] <= t)).sum())


# --- the timeline -----------------------------------------------------------------------------

@pytest.mark.parametrize(("mean", "step"), [(0.3, 0.05), (1.0, 0.25), (0.8, 0.2), (10, 2.5),
                                            (0.02, 0.01), (0.001, 0.01), (100, 25.0)])
def test_step_is_a_round_quarter_of_the_mean_task_time_or_less(mean: float, step: float) -> None:
    assert nice_step(mean / 4) == pytest.approx(step)
    assert nice_step(mean / 4) <= max(mean / 4, 0.01) + 1e-12


def test_timeline_caps_frames_and_picks_a_window() -> None:
    whole = timeline(30.0, 1.0)
    assert whole[0] == 0 and whole[-1] == 30.0 and np.allclose(np.diff(whole), 0.25)
    long = timeline(1000.0, 0.3)
    assert len(long) == 1200 and long[0] == 0
    around = timeline(1000.0, 0.3, focus=500.0)
    assert around[0] < 500 < around[-1] and len(around) == 1200
    chosen = timeline(1000.0, 0.3, window=(100.0, 120.0))
    assert chosen[0] == 100 and chosen[-1] == pytest.approx(120) and len(chosen) == 401
    cut = timeline(1000.0, 0.3, max_frames=100, window=(100.0, 900.0))
    assert len(cut) == 100 and cut[-1] == pytest.approx(100 + 99 * 0.05)


# --- the figure -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def overloaded() -> dict[str, Result]:
    scenario = apply_overrides(load_scenario("email_signup"),
                               {"duration": 25, "arrivals.rate": 60})
    return compare(scenario)


def test_figure_has_both_panels_on_one_timeline_with_controls(overloaded: dict) -> None:
    fig = build_animation(overloaded, max_frames=300)
    times = frame_times(fig)
    assert len(fig.frames) == len(times) <= 300
    assert np.allclose(np.diff(times), 0.05)  # a quarter of 0.3 s, rounded down
    assert len(fig.layout.sliders) == 1 and len(fig.layout.updatemenus) == 1
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels[:3] == ["▶ Play", "❚❚ Pause", "↺ Start"]
    assert "speed 0.5×" in labels and "4×" in labels
    durations = [b.args[1]["frame"]["duration"] for b in fig.layout.updatemenus[0].buttons
                 if b.args[0] is None]
    assert max(durations) / min(durations) == pytest.approx(8)  # 0.5× to 4×
    words = frame_words(fig, len(times) - 1)
    assert words["clock"] == f"t = {times[-1]:.2f} s"
    assert {"0:waiting", "0:threads", "1:queue", "1:workers", "1:done"} <= set(words)
    labels = next(t for t in fig.data if t.name == "labels").text
    titles = [text for text in labels if " — " in text]
    assert titles[0].startswith("<b>SYNC") and titles[1].startswith("<b>ASYNC")


def test_at_most_forty_dots_per_stage_and_counts_say_the_rest(overloaded: dict) -> None:
    fig = build_animation(overloaded, max_frames=300)
    last = len(fig.frames) - 1
    dots = frame_dots(fig, last)
    per_stage = dots.groupby(["panel", "stage"]).size()
    assert per_stage.max() <= 40
    waiting = int(frame_words(fig, last)["0:waiting"].split()[0].replace(",", ""))
    assert waiting > 40 and per_stage[(0, "waiting")] == 40
    t = frame_times(fig)[last]
    assert waiting == counts(segments(overloaded["sync"]), t)["waiting"]


def test_colours_come_from_the_palette_and_every_state_has_a_legend_name(overloaded: dict
                                                                         ) -> None:
    assert {c for c, _ in STYLE} == set(STATE_COLORS.values())
    fig = build_animation(overloaded, max_frames=50)
    key = next(t for t in fig.data if t.name == "key")
    assert [k.strip() for k in key.text[:3]] == ["waiting for a web thread",
                                                 "in the web handler", "queued"]
    assert set(key.marker.color) <= set(STATE_COLORS.values())
    labels = next(t for t in fig.data if t.name == "labels")
    colours = {c for c, text in zip(labels.textfont.color, labels.text, strict=True)
               if " — " in text}
    assert colours == {"#D55E00", "#0072B2"}  # panel titles in the app's mode colours


def test_standalone_html_carries_plotly_and_frames(tmp_path, overloaded: dict) -> None:
    path = write_animation_html(overloaded, tmp_path / "a" / "animation.html", max_frames=50)
    text = path.read_text(encoding="utf-8")
    assert "Plotly.addFrames" in text or '"frames"' in text
    assert "cdn.plot.ly" not in text[:3000] and len(text) > 3_000_000  # plotly.js inside


def test_fanout_draws_one_lane_per_service_and_copies_enter_together():
    """One event becomes a dot in each reached service's queue lane at the same moment; every
    service's workers sit in one column, numbered after each other."""
    result = run(load_scenario("signup_fanout", {"duration": 30}), "async", 2)
    segs = build_segments(result)
    assert segs.lanes == ["email", "analytics", "crm"] and segs.lane_by == "service"
    assert segs.workers == 4 and segs.slots == 11
    assert [label for label, _ in segs.worker_labels] == ["email 0", "email 1", "analyt 0",
                                                          "crm 0"]
    frame = segs.frame()
    queued = frame[frame["stage"] == "queue"]
    service = result.tasks.set_index("task_id")["service"].cat.codes
    assert (queued["lane"].to_numpy() == service[queued["task"]].to_numpy()).all()
    tasks = result.tasks.set_index("task_id")
    assert (tasks.groupby("request_id")["published"].nunique() == 1).all()  # one publish
    first = queued[queued["attempt"] == 1].groupby("task")["t0"].min()
    assert len(first) > 20  # the CRM's copies wait; the others' start at once
    assert np.allclose(first.to_numpy(), tasks["published"][first.index].to_numpy())
    worker = frame[(frame["stage"] == "worker") & (frame["slot"] >= 0)]
    assert worker["slot"].max() < segs.workers * segs.concurrency


def test_an_open_breaker_and_shed_requests_are_shown() -> None:
    storm = apply_overrides(load_scenario("metastable_retry_storm"), {"duration": 50})
    result = run(apply_overrides(storm, {"circuit_breaker.enabled": True}), "sync")
    opened = next(t for t, _old, new in result.extra["breaker_moves"] if new == "open")
    fig = build_animation({"sync": result})
    times = frame_times(fig)
    words = frame_words(fig, int(np.searchsorted(times, opened + 0.5)))
    assert "circuit breaker open" in words["0:banner"]
    assert "circuit breaker open" in words["0:downstream_fault"]
    shedding = run(apply_overrides(storm, {"web.max_queue": 5, "web.workers": 20}), "sync")
    shed = shedding.requests[shedding.requests["outcome"] == "shed"]
    assert len(shed)
    fig = build_animation({"sync": shedding})
    last = frame_words(fig, len(frame_times(fig)) - 1)
    assert last["0:shed"] == f"{len(shed):,} refused at once (shed)"
    segs = segments(shedding)
    waits = (segs.stage == 0) & np.isin(segs.request, shed["request_id"].to_numpy())
    assert (segs.t1[waits] == segs.t0[waits]).all()  # refused at once, not waiting forever
