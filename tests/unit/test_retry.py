"""Retry delays: the backoff ceilings and the jitter bounds of every policy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.model.retry import ceiling, delays, next_delay
from sim.scenario import Retry


def constant(u: float):
    return lambda: u


def test_no_backoff_retries_immediately():
    policy = Retry(max_retries=4, backoff="none", jitter="full")
    assert delays(policy, constant(0.7)) == [0, 0, 0, 0]


def test_fixed_backoff_is_base_every_time():
    policy = Retry(max_retries=3, backoff="fixed", base=2.0, jitter="none")
    assert delays(policy, constant(0.5)) == [2.0, 2.0, 2.0]


def test_exponential_backoff_doubles_up_to_the_cap():
    policy = Retry(max_retries=7, backoff="exponential", base=1.0, cap=20.0, jitter="none")
    assert delays(policy, constant(0.5)) == [1, 2, 4, 8, 16, 20, 20]


@pytest.mark.parametrize("u", [0.0, 0.25, 0.999])
def test_full_jitter_is_uniform_below_the_ceiling(u):
    policy = Retry(max_retries=6, base=1.0, cap=10.0, jitter="full")
    got = delays(policy, constant(u))
    assert got == pytest.approx([u * ceiling(policy, n) for n in range(6)])


@pytest.mark.parametrize("u", [0.0, 0.5, 0.999])
def test_equal_jitter_keeps_half_the_ceiling(u):
    policy = Retry(max_retries=6, base=1.0, cap=10.0, jitter="equal")
    for n, d in enumerate(delays(policy, constant(u))):
        c = ceiling(policy, n)
        assert c / 2 <= d <= c
        assert d == pytest.approx(c / 2 + u * c / 2)


def test_decorrelated_jitter_stays_between_base_and_three_times_previous():
    policy = Retry(max_retries=50, base=0.5, cap=30.0, jitter="decorrelated")
    rng = np.random.default_rng(1)
    got = delays(policy, rng.random)
    previous = policy.base
    for d in got:
        assert policy.base <= d <= min(policy.cap, 3 * previous) + 1e-12
        previous = d
    assert max(got) > 10  # it does grow


@pytest.mark.parametrize(("backoff", "jitter"),
                         list(itertools.product(["none", "fixed", "exponential"],
                                                ["none", "full", "equal", "decorrelated"])))
def test_every_policy_gives_non_negative_delays_within_the_cap(backoff, jitter):
    policy = Retry(max_retries=12, backoff=backoff, base=0.3, cap=5.0, jitter=jitter)
    rng = np.random.default_rng(7)
    got = delays(policy, rng.random)
    assert len(got) == 12
    assert all(0 <= d <= 5.0 for d in got)


def test_next_delay_uses_the_previous_delay_only_for_decorrelated():
    policy = Retry(base=1.0, cap=100.0, jitter="decorrelated")
    assert next_delay(policy, 0, 10.0, constant(1.0)) == pytest.approx(30.0)
    full = Retry(base=1.0, cap=100.0, jitter="full")
    assert next_delay(full, 3, 10.0, constant(1.0)) == pytest.approx(8.0)


def test_one_retry_decision_retries_then_gives_up_with_a_reason():
    import simpy

    from sim.model.retry import Retrier, RetryDecision
    from sim.model.task import Message

    policy = Retry(max_retries=2, backoff="fixed", base=3.0, jitter="none")
    retrier = Retrier(policy, constant(0.5), simpy.Environment())
    msg = Message(0, 0, ((1.0,), 0, 0), policy.base)
    assert retrier.decide(msg) == RetryDecision("retry", 3.0, "")
    assert retrier.decide(msg, dead_letter="rejected").retry
    assert msg.attempt == 2 and retrier.retries == 2
    assert retrier.decide(msg) == RetryDecision("fail", 0.0, "max_retries")
    assert retrier.decide(msg, dead_letter="rejected") == RetryDecision("dead_letter", 0.0,
                                                                        "rejected")
    assert retrier.retries == 2


def test_time_limits_in_the_retry_decision():
    import simpy

    from sim.model.retry import SOFT_TIME_LIMIT, TIME_LIMIT, Retrier, RetryDecision
    from sim.model.task import Message

    policy = Retry(max_retries=5, backoff="fixed", base=1.0, jitter="none")
    msg = Message(0, 0, ((1.0,), 0, 0), policy.base)
    retrier = Retrier(policy, constant(0.5), simpy.Environment())
    assert retrier.decide(msg, error=TIME_LIMIT) == RetryDecision("fail", 0.0, TIME_LIMIT)
    assert retrier.decide(msg, error=SOFT_TIME_LIMIT).retry
    strict = Retrier(policy, constant(0.5), simpy.Environment(), retry_on_soft_time_limit=False)
    assert strict.decide(msg, error=SOFT_TIME_LIMIT) == RetryDecision("fail", 0.0,
                                                                     SOFT_TIME_LIMIT)


@pytest.mark.parametrize("u", [0.0, 0.3, 0.999])
def test_whole_second_jitter_is_celerys_randrange(u):
    """Celery: countdown = randrange(min(cap, factor * 2**n) + 1), a whole number."""
    policy = Retry(max_retries=7, base=2.0, cap=50.0, jitter="full", jitter_whole_seconds=True)
    got = delays(policy, constant(u))
    assert got == [float(int(u * (min(50, 2 * 2**n) + 1))) for n in range(7)]
    assert all(d == int(d) for d in got)
    assert got[-1] <= 50


def test_every_broker_kind_implements_the_broker_interface():
    from sim.model.brokers import BROKERS, Broker

    for kind, cls in BROKERS.items():
        assert issubclass(cls, Broker), kind
        assert not cls.__abstractmethods__, (kind, cls.__abstractmethods__)
