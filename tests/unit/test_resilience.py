"""The circuit breaker's state machine and the retry budget's token bucket, driven by hand with
a clock, and the resilience keys of the schema."""

from __future__ import annotations

import re

import pytest

from sim.model.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from sim.model.budget import BUDGET_TTL_S, RetryBudget
from sim.scenario import ScenarioError, from_dict
from sim.schema import CircuitBreaker as BreakerSettings
from sim.schema import RetryBudget as BudgetSettings


def breaker(**settings) -> tuple[CircuitBreaker, list[tuple[float, str, str]]]:
    moves: list[tuple[float, str, str]] = []
    defaults = {"enabled": True, "failure_rate_threshold": 0.5, "sliding_window": 10,
                "minimum_calls": 4, "wait_in_open": 5.0, "half_open_calls": 2}
    cb = CircuitBreaker(BreakerSettings(**{**defaults, **settings}),
                        lambda t, a, b: moves.append((t, a, b)))
    return cb, moves


def call(cb: CircuitBreaker, now: float, ok: bool) -> bool:
    """One call that completes at once; False if it failed fast."""
    permit = cb.acquire(now)
    if permit is None:
        return False
    cb.record(permit, now, ok)
    return True


def test_no_verdict_before_minimum_calls_then_opens_at_the_threshold():
    cb, moves = breaker()
    for t in range(3):
        assert call(cb, t, ok=False)
    assert cb.state == CLOSED  # three failures, but fewer than minimum_calls (4)
    assert call(cb, 3, ok=True)  # 3 of 4 failed = 75 % ≥ 50 %
    assert cb.state == OPEN and moves == [(3, CLOSED, OPEN)] and cb.opened == 1


def test_below_the_threshold_stays_closed():
    cb, _ = breaker(failure_rate_threshold=0.5, minimum_calls=4)
    for t, ok in enumerate([True, False, True, True, False, True, True, True]):
        call(cb, t, ok)
    assert cb.state == CLOSED  # 2 of 8 failed


def test_the_window_forgets_old_calls():
    cb, _ = breaker(sliding_window=4, minimum_calls=4, failure_rate_threshold=0.75)
    for t, ok in enumerate([False, False, True, True, True, True, False, False]):
        call(cb, t, ok)
    assert cb.state == CLOSED  # never 3 failures among the last 4 calls
    call(cb, 8, ok=False)
    assert cb.state == OPEN  # last four: True, False, False, False


def test_open_fails_fast_then_half_opens_after_wait_in_open():
    cb, _ = breaker(wait_in_open=5.0)
    for t in range(4):
        call(cb, t, ok=False)
    assert cb.state == OPEN
    assert not call(cb, 4.0, ok=True) and not call(cb, 7.99, ok=True)
    assert cb.fast_failures == 2
    assert cb.poll(8.0) == HALF_OPEN  # opened at t=3, open for 5 s
    assert cb.open_time(100.0) == pytest.approx(5.0)


def test_half_open_lets_only_the_trial_calls_through_and_closes_when_all_succeed():
    cb, moves = breaker(half_open_calls=2)
    for t in range(4):
        call(cb, t, ok=False)
    first, second = cb.acquire(8.0), cb.acquire(8.0)
    assert first is not None and second is not None
    assert cb.acquire(8.1) is None  # a third call fails fast while the trials run
    cb.record(first, 9.0, ok=True)
    assert cb.state == HALF_OPEN  # one trial still out
    cb.record(second, 9.5, ok=True)
    assert cb.state == CLOSED and moves[-1] == (9.5, HALF_OPEN, CLOSED)


def test_any_failed_trial_opens_it_again_for_another_wait():
    cb, _ = breaker(half_open_calls=3, wait_in_open=5.0)
    for t in range(4):
        call(cb, t, ok=False)
    permits = [cb.acquire(8.0) for _ in range(3)]
    cb.record(permits[0], 8.5, ok=True)
    cb.record(permits[1], 9.0, ok=False)
    assert cb.state == OPEN and cb.opened == 2
    cb.record(permits[2], 9.2, ok=True)  # a late trial decides nothing any more
    assert cb.state == OPEN and cb.poll(13.99) == OPEN and cb.poll(14.0) == HALF_OPEN


def test_a_slow_call_let_through_before_opening_does_not_count_later():
    cb, _ = breaker(minimum_calls=4)
    slow = cb.acquire(0.0)
    for t in range(1, 5):
        call(cb, t, ok=False)
    assert cb.state == OPEN
    cb.poll(9.0)
    cb.record(slow, 9.0, ok=False)  # let through while closed: ignored in half-open
    assert cb.state == HALF_OPEN


def budget(ratio: float, min_per_second: float) -> RetryBudget:
    return RetryBudget(BudgetSettings(ratio=ratio, min_per_second=min_per_second))


def test_budget_reserve_allows_min_per_second_times_ttl():
    b = budget(ratio=0.0, min_per_second=1.0)
    allowed = sum(b.withdraw(0.0) for _ in range(100))
    assert allowed == BUDGET_TTL_S and b.denied == 100 - BUDGET_TTL_S


def test_budget_allows_ratio_of_recent_first_attempts():
    b = budget(ratio=0.2, min_per_second=0.0)
    for _ in range(50):
        b.deposit(1.0)
    assert sum(b.withdraw(2.0) for _ in range(30)) == 10  # 20 % of 50


def test_budget_deposits_and_withdrawals_expire_after_the_ttl():
    b = budget(ratio=0.5, min_per_second=0.0)
    for _ in range(10):
        b.deposit(0.0)
    assert sum(b.withdraw(1.0) for _ in range(10)) == 5
    assert not b.withdraw(BUDGET_TTL_S - 0.5)
    assert b.balance(BUDGET_TTL_S + 0.5) == -5  # the deposits are gone, the retries not yet
    assert b.balance(BUDGET_TTL_S + 1.5) == 0
    for _ in range(4):
        b.deposit(12.0)
    assert b.withdraw(12.0) and b.withdraw(12.0) and not b.withdraw(12.0)


@pytest.mark.parametrize("rate", [5.0, 20.0, 100.0])
def test_budget_caps_retries_per_second_in_a_long_outage(rate):
    """Every first attempt fails and wants a retry at once: retries stay ≤ ratio × first
    attempts + min_per_second in every ttl window."""
    b = budget(ratio=0.2, min_per_second=1.0)
    made: list[float] = []
    t = 0.0
    while t < 120:
        b.deposit(t)
        if b.withdraw(t):
            made.append(t)
        t += 1 / rate
    per_window = [sum(start <= m < start + BUDGET_TTL_S for m in made)
                  for start in range(0, 110, 5)]
    assert max(per_window) <= 0.2 * rate * BUDGET_TTL_S + 1.0 * BUDGET_TTL_S + 1
    assert len(made) / 120 == pytest.approx(0.2 * rate + 1.0, rel=0.15)


def test_resilience_keys_default_off_and_refuse_bad_values():
    scenario = from_dict({})
    assert scenario.retry.budget.ratio == 0 and not scenario.circuit_breaker.enabled
    assert scenario.web.max_queue == 0 and scenario.arrivals.deadline == 0
    assert scenario.task.expires == 0
    for data, message in [
        ({"circuit_breaker": {"failure_rate_threshold": 0}},
         "circuit_breaker.failure_rate_threshold: must be > 0"),
        ({"circuit_breaker": {"minimum_calls": 30, "sliding_window": 20}},
         "circuit_breaker.minimum_calls: must be ≤ sliding_window (20), got 30"),
        ({"retry": {"budget": {"ratio": -0.1}}}, "retry.budget.ratio: must be ≥ 0"),
        ({"web": {"max_queue": -1}}, "web.max_queue: must be ≥ 0"),
        ({"arrivals": {"rate": 1, "deadline": -1}}, "arrivals.deadline: must be ≥ 0"),
        ({"task": {"expires": -2}}, "task.expires: must be ≥ 0"),
        ({"circuit_breaker": {"wait": 3}}, "circuit_breaker.wait: unknown key"),
    ]:
        with pytest.raises(ScenarioError, match=re.escape(message)):
            from_dict(data)
