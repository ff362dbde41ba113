"""The defence ladder: cumulative rungs that keep the scenario's own settings, every rung on the
same traffic, progress reported, and the table's words."""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim import apply_overrides, load_scenario, run
from sim.ladder import LABELS, RUNGS, Row, defence_ladder, rung_overrides, rung_scenarios, table

STORM = apply_overrides(load_scenario("metastable_retry_storm"), {"duration": 60})


def test_rungs_add_one_defence_each_and_keep_the_scenarios_settings():
    scenario = apply_overrides(STORM, {"retry.base": 0.25, "circuit_breaker.wait_in_open": 9.0,
                                       "web.max_queue": 7, "arrivals.deadline": 3.0})
    steps = rung_overrides(scenario)
    assert list(steps) == list(RUNGS)
    for before, after in itertools.pairwise(RUNGS):
        assert set(steps[before]) <= set(steps[after])  # cumulative
    rungs = rung_scenarios(scenario)
    none, last = rungs["none"], rungs["shedding"]
    assert none.retry.backoff == "none" and not none.circuit_breaker.enabled
    assert none.web.max_queue == 0 and none.arrivals.deadline == 0
    assert rungs["backoff"].retry.base == 0.25 and rungs["backoff"].retry.jitter == "full"
    assert rungs["budget"].retry.budget.ratio == 0.2
    assert rungs["breaker"].circuit_breaker.wait_in_open == 9.0
    assert rungs["deadlines"].arrivals.deadline == 3.0 and rungs["budget"].arrivals.deadline == 0
    assert last.web.max_queue == 7 and last.circuit_breaker.enabled
    defaults = rung_scenarios(STORM)
    assert defaults["deadlines"].arrivals.deadline == STORM.web.timeout  # the users' patience
    assert defaults["shedding"].web.max_queue == STORM.web.workers


def test_every_rung_sees_the_same_traffic_and_progress_is_reported():
    seen: dict[str, object] = {}
    calls: list[tuple[int, int, str]] = []

    def runner(scenario, mode, seed):
        result = run(scenario, mode, seed)
        seen[len(seen)] = result
        return result

    rows = defence_ladder(STORM, "sync", 4, lambda d, n, r: calls.append((d, n, r)), runner)
    assert [r.rung for r in rows] == list(RUNGS) and [r.label for r in rows] == \
        [LABELS[r] for r in RUNGS]
    assert calls[0] == (0, 6, "no defences") and calls[-1] == (6, 6, "")
    first = seen[0].requests.loc[~seen[0].requests["client_retry"], "arrival"].to_numpy()
    for result in seen.values():
        fresh = result.requests.loc[~result.requests["client_retry"], "arrival"].to_numpy()
        assert np.array_equal(fresh, first)  # common random numbers
    none, budget = rows[0].figures, rows[2].figures
    assert math.isinf(none["recovery_s"])  # never back before the end
    assert budget["recovery_s"] < 30
    assert budget["peak_calls_x"] < none["peak_calls_x"] / 3
    assert budget["retries_per_request"] < none["retries_per_request"] / 10


def test_table_words():
    row = Row("none", "no defences", "", {"peak_calls_x": 8.04, "retries_per_request": 5.5,
                                           "recovery_s": math.inf, "user_wait_p99": 5.0,
                                           "shed": 1234})
    (cells,) = table([row])
    assert cells["defences"] == "no defences" and cells["bounds"] == "—"
    assert cells["peak downstream calls (× arrival rate)"] == "8.0×"
    assert cells["recovery (s)"] == "not before the end" and cells["requests shed"] == "1,234"
    no_fault = Row("none", "no defences", "", {**row.figures, "recovery_s": None})
    assert table([no_fault])[0]["recovery (s)"] == "—"
