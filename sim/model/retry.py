"""Retry policy: how long to wait before the next attempt of a failed task.

Backoff (``none`` | ``fixed`` | ``exponential``) gives the ceiling of the n-th delay; jitter
spreads it, as defined in Marc Brooker's AWS Architecture Blog article "Exponential Backoff And
Jitter" (2015):

- none:         d = min(cap, base * 2**n)            (exponential; fixed is min(cap, base))
- full:         uniform(0, d)
- equal:        d/2 + uniform(0, d/2)
- decorrelated: min(cap, uniform(base, 3 * previous))  with previous starting at base

``Retrier.decide`` applies the policy after a failed attempt; every consumer calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.model.budget import RetryBudget
from sim.scenario import Retry

if TYPE_CHECKING:
    import simpy

    from sim.model.task import Message

Uniform = Callable[[], float]  # a U(0,1) draw


def ceiling(policy: Retry, retry_index: int) -> float:
    """The un-jittered delay before retry number ``retry_index`` (0 for the first retry)."""
    if policy.backoff == "none":
        return 0.0
    if policy.backoff == "fixed":
        return min(policy.cap, policy.base)
    return min(policy.cap, policy.base * 2.0 ** min(retry_index, 1000))


def _none(policy: Retry, d: float, previous: float, u: Uniform) -> float:
    return d


def _full(policy: Retry, d: float, previous: float, u: Uniform) -> float:
    return d * u()


def _equal(policy: Retry, d: float, previous: float, u: Uniform) -> float:
    return d / 2 + d / 2 * u()


def _decorrelated(policy: Retry, d: float, previous: float, u: Uniform) -> float:
    if policy.backoff == "none":
        return 0.0
    low, high = policy.base, max(policy.base, 3 * previous)
    return min(policy.cap, low + (high - low) * u())


JITTERS: dict[str, Callable[[Retry, float, float, Uniform], float]] = {
    "none": _none,
    "full": _full,
    "equal": _equal,
    "decorrelated": _decorrelated,
}


def next_delay(policy: Retry, retry_index: int, previous: float, u: Uniform) -> float:
    """Delay before retry ``retry_index`` (0-based); ``previous`` is the last delay used
    (``policy.base`` before the first retry), ``u`` draws uniforms on [0, 1).

    With ``jitter_whole_seconds`` full jitter draws a whole number of seconds in
    ``[0, int(ceiling)]``, like Celery's ``random.randrange(countdown + 1)``
    (celery.utils.time.get_exponential_backoff_interval)."""
    if policy.jitter_whole_seconds:
        return float(int(u() * (int(ceiling(policy, retry_index)) + 1)))
    return JITTERS[policy.jitter](policy, ceiling(policy, retry_index), previous, u)


def delays(policy: Retry, u: Uniform) -> list[float]:
    """The whole sequence of delays for one task that fails every attempt."""
    out: list[float] = []
    previous = policy.base
    for n in range(policy.max_retries):
        previous = next_delay(policy, n, previous, u)
        out.append(previous)
    return out


# --- the decision after a failed attempt -------------------------------------------------

RETRY, FAIL, DEAD_LETTER = "retry", "fail", "dead_letter"
# errors an attempt can end with, besides a plain failure (Celery's exception names)
TIME_LIMIT = "TimeLimitExceeded"  # hard limit: the pool kills the process; never retried
SOFT_TIME_LIMIT = "SoftTimeLimitExceeded"  # raised inside the task; it may retry on it


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """What happens after a failed attempt: ``action`` is ``retry`` (after ``delay`` seconds),
    ``fail`` or ``dead_letter`` (given up, for ``reason``)."""

    action: str
    delay: float = 0.0
    reason: str = ""

    @property
    def retry(self) -> bool:
        return self.action == RETRY


class Retrier:
    """The one place that decides retry / give up / dead-letter, and the delay, for every
    consumer (sync handlers, queue workers, Kafka consumers). It counts the retries it grants.

    With a retry budget (``retry.budget``), a retry that finds no token is not made: the task
    is given up (failed, or dead-lettered) for the reason ``budget``. Callers only act on the
    decision.
    """

    def __init__(self, policy: Retry, jitter: Uniform, env: simpy.Environment,
                 retry_on_soft_time_limit: bool = True) -> None:
        self.policy = policy
        self.jitter = jitter
        self.env = env
        self.retry_on_soft_time_limit = retry_on_soft_time_limit
        self.retries = 0
        self.budget = RetryBudget(policy.budget) if policy.budget.ratio > 0 else None

    def decide(self, msg: Message, dead_letter: str = "", error: str = "") -> RetryDecision:
        """After a failed attempt of ``msg``: retry (the message moves on to its next attempt)
        or give up. ``dead_letter`` is the reason under which the consumer's broker
        dead-letters a task it gives up ("" if it has no dead-letter destination: the task
        fails). ``error`` says how the attempt ended when it was not a plain failure:
        ``TIME_LIMIT`` is never retried (Celery kills the process and records
        TimeLimitExceeded), ``SOFT_TIME_LIMIT`` is retried only if the task retries on it."""
        policy = self.policy
        if error == TIME_LIMIT or (error == SOFT_TIME_LIMIT
                                   and not self.retry_on_soft_time_limit):
            return RetryDecision(FAIL, 0.0, error)
        if msg.attempt >= policy.max_retries:
            if dead_letter:
                return RetryDecision(DEAD_LETTER, 0.0, dead_letter)
            return RetryDecision(FAIL, 0.0, "max_retries")
        if self.budget is not None and not self.budget.withdraw(self.env.now):
            return RetryDecision(DEAD_LETTER if dead_letter else FAIL, 0.0, "budget")
        delay = next_delay(policy, msg.attempt, msg.previous_delay, self.jitter)
        msg.previous_delay = delay
        msg.attempt += 1
        self.retries += 1
        return RetryDecision(RETRY, delay)
