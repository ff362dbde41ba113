"""The measured-overhead keys: ``broker.dispatch_delay`` and ``workers.task_overhead``.

Each is checked against a value worked out another way: a hand-built low-load case where every
wait is the dispatch delay, the equivalence of "service D plus overhead o" with "service D + o",
and the M/D/1 closed form with the longer slot time.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import run
from sim.calibrate.trace import trace_of
from sim.capacity import offered_load
from sim.prediction import prediction
from sim.scenario import apply_overrides
from sim.theory import md1
from tests.conftest import mmc_scenario
from tests.model.invariants import check_all
from tests.model.test_theory_match import interval

D, O = 0.05, 0.2


def const(value: float) -> dict:
    return {"dist": "constant", "value": value}


@pytest.mark.parametrize("kind", ["rabbitmq", "redis"])
@pytest.mark.parametrize("acks_late", [False, True])
def test_constant_dispatch_delay_is_every_wait_at_very_low_load(kind, acks_late):
    """One arrival every ~50 s on 2 slots: nobody queues, so each wait is exactly d, and the
    delay is not run time: attempts last their service time and utilization is unchanged."""
    base = mmc_scenario(0.02, 0.5, 2, 20_000, broker={"kind": kind},
                        workers={"count": 2, "concurrency": 1, "acks_late": acks_late})
    delayed = apply_overrides(base, {"broker.dispatch_delay": const(D)})
    plain, late = run(base, "async", 3), run(delayed, "async", 3)
    assert len(late.tasks) > 300
    waits = late.tasks["first_start"] - late.tasks["published"]
    assert np.allclose(waits, D, atol=1e-9)
    assert np.allclose(plain.tasks["first_start"] - plain.tasks["published"], 0, atol=1e-9)
    run_time = late.attempts["end"] - late.attempts["start"]
    assert np.allclose(run_time, plain.attempts["end"] - plain.attempts["start"], atol=1e-9)
    busy = late.summary["utilization"]["workers"] * late.summary["run"]["end_time_s"]
    plain_busy = plain.summary["utilization"]["workers"] * plain.summary["run"]["end_time_s"]
    assert busy == pytest.approx(plain_busy, rel=1e-9)


def test_random_dispatch_delay_adds_its_mean_at_low_load():
    base = mmc_scenario(0.05, 0.2, 2, 40_000, workers={"count": 2, "concurrency": 1})
    delayed = apply_overrides(base, {"broker.dispatch_delay": {"dist": "exponential",
                                                               "mean": D}})
    shift = (run(delayed, "async", 5).summary["queue_wait_s"]["mean"]
             - run(base, "async", 5).summary["queue_wait_s"]["mean"])
    assert shift == pytest.approx(D, rel=0.1)  # ~2,000 draws: standard error ~2 %


@pytest.mark.parametrize("acks_late", [False, True])
def test_constant_overhead_is_the_same_queue_as_a_longer_service(acks_late):
    """Service D plus overhead o holds a slot exactly like service D + o: the same arrivals
    give the very same starts; only the task is done o earlier (its body ended)."""
    service = 1.0
    longer = mmc_scenario(0.7, 0, 1, 3_000, service=const(service + O),
                          workers={"count": 1, "concurrency": 1, "acks_late": acks_late})
    overhead = apply_overrides(longer, {"task.service": const(service),
                                        "workers.task_overhead": const(O)})
    a, b = run(longer, "async", 11), run(overhead, "async", 11)
    assert len(a.tasks) > 1_500
    assert np.allclose(a.tasks["first_start"], b.tasks["first_start"], atol=1e-6)
    assert np.allclose(a.tasks["finished"] - b.tasks["finished"], O, atol=1e-6)


def test_overhead_matches_md1_with_the_longer_slot_time():
    lam, service = 0.6, 1.0
    duration = 15_000 / lam
    scenario = mmc_scenario(lam, 0, 1, duration, warmup=duration * 0.1,
                            service=const(service),
                            workers={"count": 1, "concurrency": 1, "acks_late": False,
                                     "task_overhead": const(O)})
    waits = [run(scenario, "async", seed).summary["queue_wait_s"]["mean"] for seed in range(8)]
    low, high = interval(waits)
    expected = md1(lam, service + O).wq  # ρ = 0.72, not the 0.6 of the service alone
    assert low <= expected <= high, (low, expected, high)
    assert md1(lam, service).wq < low  # and the plain M/D/1 is clearly rejected


def test_acks_late_overhead_replaces_task_overhead_only_with_acks_late():
    base = mmc_scenario(0.5, 0, 1, 2_000, service=const(1.0),
                        workers={"count": 1, "concurrency": 1, "task_overhead": const(0.1),
                                 "task_overhead_acks_late": const(0.4)})

    def slot_time(acks_late: bool, extra: dict | None = None) -> float:
        scenario = apply_overrides(base, {"workers.acks_late": acks_late, **(extra or {})})
        return offered_load(scenario, "async")["workers"] / 0.5

    assert slot_time(False) == pytest.approx(1.1)
    assert slot_time(True) == pytest.approx(1.4)
    assert slot_time(True, {"workers.task_overhead_acks_late": None}) == pytest.approx(1.1)
    early = run(apply_overrides(base, {"workers.acks_late": False}), "async", 2)
    late = run(apply_overrides(base, {"workers.acks_late": True}), "async", 2)
    assert (late.summary["queue_wait_s"]["mean"]
            > 2 * early.summary["queue_wait_s"]["mean"])  # ρ 0.7 vs 0.55


def test_late_ack_prefetch_one_waits_for_the_fetch_after_each_task():
    """acks_late with prefetch 1: the next message is fetched only after the ack, so a slot
    holds d + service + o per task; the theory's slot time says so too."""
    base = mmc_scenario(0.5, 0, 1, 3_000, service=const(1.0),
                        workers={"count": 1, "concurrency": 1, "acks_late": True,
                                 "task_overhead": const(O)},
                        broker={"kind": "redis", "dispatch_delay": const(D)})
    result = run(base, "async", 4)
    starts = np.sort(result.attempts["start"].to_numpy())
    assert np.diff(starts).min() == pytest.approx(1.0 + O + D, abs=1e-9)
    assert offered_load(base, "async")["workers"] == pytest.approx(0.5 * (1 + O + D))
    early = run(apply_overrides(base, {"workers.acks_late": False}), "async", 4)
    gaps = np.diff(np.sort(early.attempts["start"].to_numpy()))
    assert gaps.min() == pytest.approx(1.0 + O, abs=1e-9)  # prefetched: the fetch is hidden


@pytest.mark.parametrize("acks_late", [False, True])
def test_dispatch_delay_is_for_a_free_slot_only(acks_late):
    """Three tasks at t = 0, 0.1, 0.2 on one slot with prefetch 2: the first meets the free
    slot and waits d; the others are prefetched while it runs and start the moment the slot
    is free again (their hand-over is part of the overhead)."""
    scenario = mmc_scenario(1.0, 0, 1, 10, service=const(1.0),
                            broker={"kind": "redis", "dispatch_delay": const(D)},
                            workers={"count": 1, "concurrency": 1, "prefetch_multiplier": 2,
                                     "acks_late": acks_late, "task_overhead": const(O)})
    result = run(scenario, "async", 1, arrival_times=[0.0, 0.1, 0.2])
    starts = result.attempts.sort_values("task_id")["start"].to_numpy()
    slot = 1.0 + O  # (with acks_late the third is fetched once the first is acknowledged,
    # while the second runs: prefetched as well)
    assert starts == pytest.approx([D, D + slot, D + 2 * slot])


def test_overheads_keep_common_random_numbers():
    """Overheads draw from their own streams: the same seed gives the same arrivals and the
    same task sizes with and without them."""
    base = mmc_scenario(8.0, 0.1, 2, 300, broker={"kind": "redis"})
    with_overheads = apply_overrides(base, {
        "broker.dispatch_delay": {"dist": "lognormal", "mean": 0.01, "cv": 1.5},
        "workers.task_overhead": {"dist": "exponential", "mean": 0.02}})
    a, b = trace_of(run(base, "async", 9)), trace_of(run(with_overheads, "async", 9))
    assert np.array_equal(a.publish_s, b.publish_s)
    assert np.allclose(a.service_s, b.service_s, atol=1e-12)
    r1, r2 = run(with_overheads, "async", 9), run(with_overheads, "async", 9)
    assert r1.tasks.equals(r2.tasks)
    check_all(r1)


def test_kafka_consumers_ignore_task_overhead():
    base = mmc_scenario(3.0, 0.2, 1, 300, broker={"kind": "kafka", "partitions": 2},
                        workers={"count": 2, "concurrency": 1})
    slow = apply_overrides(base, {"workers.task_overhead": const(0.5)})
    assert run(base, "async", 1).tasks.equals(run(slow, "async", 1).tasks)


@pytest.mark.parametrize("acks_late", [False, True])
def test_crash_during_overheads_keeps_every_task_accounted_for(acks_late):
    """Crashes while messages are on their way (dispatch) and slots are in their overhead."""
    crashes = [{"kind": "worker_crash", "at": at, "count": 2, "restart_after": 1}
               for at in (20, 40.1, 60.2, 80.3)]
    # a crashed worker's messages come back after the visibility timeout (kept short here)
    scenario = mmc_scenario(4.0, 0.2, 2, 120, broker={"kind": "redis",
                                                      "visibility_timeout": 5,
                                                      "restore_interval": 1,
                                                      "dispatch_delay": const(0.05)},
                            workers={"count": 2, "concurrency": 2, "acks_late": acks_late,
                                     "task_overhead": {"dist": "exponential", "mean": 0.3}},
                            faults=crashes)
    result = run(scenario, "async", 8)
    check_all(result)
    tasks = result.summary["tasks"]
    assert tasks["in_queue"] == tasks["in_progress"] == 0
    assert 0 < result.summary["utilization"]["workers"] < 1
    assert result.summary["time_avg"]["worker_busy"] >= 0


def test_theory_includes_overheads():
    base = mmc_scenario(12.0, 0.1, 1, 10, broker={"kind": "redis"},
                        workers={"count": 1, "concurrency": 2})
    plain = prediction(base, "async")
    with_overheads = prediction(apply_overrides(base, {
        "broker.dispatch_delay": const(0.005), "workers.task_overhead": const(0.01)}), "async")
    assert plain["model"] == "M/M/c" and plain["applies"]
    assert with_overheads["holding_mean_s"] == pytest.approx(0.11)
    assert with_overheads["rho"] == pytest.approx(12 * 0.11 / 2)
    assert with_overheads["queue_wait_s"] > plain["queue_wait_s"] + 0.005
    assert "dispatch delay" in with_overheads["note"]


def test_theory_with_overheads_matches_a_long_run():
    """One slot, acks_late, prefetch 1: every task is fetched only when the slot is free, so
    the slot is an M/D/1 server holding d + service + o, and each task waits for the queue
    and then its own d."""
    scenario = mmc_scenario(0.6, 0, 1, 20_000, warmup=2_000, service=const(1.0),
                            broker={"kind": "redis", "dispatch_delay": const(D)},
                            workers={"count": 1, "concurrency": 1, "acks_late": True,
                                     "task_overhead": const(O)})
    waits = [run(scenario, "async", seed).summary["queue_wait_s"]["mean"] for seed in range(6)]
    low, high = interval(waits)
    expected = prediction(scenario, "async")["queue_wait_s"]
    assert expected == pytest.approx(md1(0.6, 1.0 + O + D).wq + D)
    assert low <= expected <= high, (low, expected, high)
