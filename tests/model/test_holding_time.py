"""The holding time the theory uses, against the holding times the engine recorded.

In sync mode a web thread holds a request from its start to its answer: the handler, every
attempt and every back-off wait. With plenty of threads (no queueing), the mean and variance of
``end - start`` over a long run must match :func:`sim.prediction.holding_time` for every jitter
kind, so that the theory's SCV is the one the simulation really has.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import load_scenario, run
from sim.prediction import holding_time


@pytest.mark.parametrize("jitter", ["none", "full", "equal", "decorrelated"])
def test_sync_holding_time_moments_match_the_records(jitter):
    scenario = load_scenario("email_signup", {
        "duration": 1_500, "arrivals.rate": 4, "web.workers": 64, "task.failure_rate": 0.3,
        "retry.backoff": "exponential", "retry.base": 0.5, "retry.cap": 3.0,
        "retry.jitter": jitter})
    req = run(scenario, "sync", 5).requests
    held = (req["end"] - req["start"]).to_numpy()
    expected = holding_time(scenario, "sync")
    assert np.mean(held) == pytest.approx(expected.mean, rel=0.04)
    assert np.var(held) == pytest.approx(expected.var, rel=0.12)


def test_async_holding_time_is_one_attempt():
    scenario = load_scenario("email_signup")
    assert holding_time(scenario, "async").mean == pytest.approx(0.3)
    assert holding_time(scenario, "async").scv == pytest.approx(0.25)
