"""The full model, configured as a textbook queue, agrees with the closed forms.

Tolerances come from the variance: each check runs independent replications (different seeds,
warm-up dropped), and the closed-form value must lie inside the 99 % confidence interval of the
replication means (Student t, n-1 degrees of freedom).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import load_scenario, run
from sim.theory import md1, mmc
from tests.conftest import mmc_scenario

REPLICATIONS = 10


def interval(values: list[float], confidence: float = 0.99) -> tuple[float, float]:
    mean = float(np.mean(values))
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * stats.sem(values)
    return mean - half, mean + half


def replicated_waits(scenario, seeds=range(REPLICATIONS)) -> list[float]:
    return [run(scenario, "async", seed).summary["queue_wait_s"]["mean"] for seed in seeds]


@pytest.mark.parametrize(("c", "rho", "customers"), [(2, 0.6, 12_000), (4, 0.85, 40_000)])
def test_mmc_mean_queue_wait_matches_erlang_c(c, rho, customers):
    mu = 1.0
    lam = rho * c * mu
    duration = customers / lam
    scenario = mmc_scenario(lam, 1 / mu, c, duration, warmup=duration * 0.1)
    low, high = interval(replicated_waits(scenario))
    expected = mmc(lam, mu, c).wq
    assert low <= expected <= high, (low, expected, high)
    # and the interval is tight enough to mean something (±15 % of the prediction)
    assert high - low < 0.3 * expected


def test_md1_constant_service_matches_pollaczek_khinchine():
    lam, service = 0.7, 1.0
    duration = 15_000 / lam
    scenario = mmc_scenario(lam, service, 1, duration, warmup=duration * 0.1,
                            service={"dist": "constant", "value": service})
    low, high = interval(replicated_waits(scenario))
    expected = md1(lam, service).wq
    assert low <= expected <= high, (low, expected, high)
    assert high - low < 0.3 * expected


def test_mm1_prediction_is_rejected_for_constant_service():
    """The check has power: M/D/1 waits are clearly not the M/M/1 value (twice as long)."""
    lam = 0.7
    duration = 15_000 / lam
    scenario = mmc_scenario(lam, 1.0, 1, duration, warmup=duration * 0.1,
                            service={"dist": "constant", "value": 1.0})
    _, high = interval(replicated_waits(scenario, range(5)))
    assert high < mmc(lam, 1.0, 1).wq


def test_littles_law_on_the_queue_holds_exactly():
    """Time-average queue length × run length = total time spent waiting: the level's integral
    (kept by the broker) against the attempts' own enqueue and start times (sample-path law)."""
    scenario = mmc_scenario(3.0, 1.0, 4, 2_000)
    result = run(scenario, "async", 7)
    end = result.summary["run"]["end_time_s"]
    area = result.summary["time_avg"]["queue_depth"] * end
    waits = (result.attempts["start"] - result.attempts["enqueued"]).sum()
    assert area == pytest.approx(waits, rel=1e-9)


def test_littles_law_for_web_threads_in_sync_mode():
    scenario = mmc_scenario(3.0, 1.0, 4, 2_000, web={"workers": 4})
    result = run(scenario, "sync", 3)
    end = result.summary["run"]["end_time_s"]
    waits = (result.requests["start"] - result.requests["arrival"]).sum()
    assert result.summary["time_avg"]["web_queue"] * end == pytest.approx(waits, rel=1e-9)


# --- the summary's theory section, held to long runs of the scenarios it claims to fit --------

HELD = {  # name: (overrides of email_signup, mode, seeds, duration in s)
    "sync, late ack": ({"workers.acks_late": True}, "sync", 8, 2_500),
    "async, late ack": ({"workers.acks_late": True}, "async", 8, 2_500),
    "sync, 20 % failures, exponential back-off": (
        {"task.failure_rate": 0.2, "arrivals.rate": 10, "retry.backoff": "exponential",
         "retry.jitter": "full"}, "sync", 12, 4_000),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HELD))
def test_theory_queue_wait_is_within_15_percent_where_it_applies(name):
    """The 99 % confidence interval of the simulated mean queue wait lies within ±15 % of the
    summary's ``theory.queue_wait_s`` (M/G/c with the holding time's own variance)."""
    overrides, mode, seeds, duration = HELD[name]
    scenario = load_scenario("email_signup", {"duration": duration, "warmup": 100, **overrides})
    summaries = [run(scenario, mode, seed).summary for seed in range(seeds)]
    theory = summaries[0]["theory"]
    assert theory["applies"], theory["note"]
    expected = theory["queue_wait_s"]
    low, high = interval([s["queue_wait_s"]["mean"] for s in summaries])
    assert 0.85 * expected <= low and high <= 1.15 * expected, (low, expected, high)


def test_theory_names_what_it_ignores():
    """The default email_signup (early ack) keeps a number but says why waits run above it."""
    theory = run(load_scenario("email_signup", {"duration": 5}), "async").summary["theory"]
    assert not theory["applies"] and theory["queue_wait_s"] > 0
    assert "early-ack worker reserves" in theory["note"]
    assert run(load_scenario("email_signup", {"duration": 5}), "sync").summary["theory"][
        "applies"]
