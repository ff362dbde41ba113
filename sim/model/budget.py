"""A retry budget: retries may add only a bounded share to the calls a tier makes.

As Finagle's ``RetryBudget`` (a token bucket whose deposits expire after ``ttl``): every first
attempt deposits ``ratio`` of a token, the bucket always holds a reserve of
``min_per_second × ttl`` tokens, and a retry withdraws one token; tokens older than ``ttl`` are
gone. So over any ``ttl`` window, retries ≤ ratio × first attempts + min_per_second × ttl. A
retry that finds no token is not made: the caller gives the task up (reason ``budget``).
"""

from __future__ import annotations

from collections import deque

from sim.schema import RetryBudget as Settings

BUDGET_TTL_S = 10.0  # Finagle's default: a deposit counts for ten seconds


class RetryBudget:
    """One budget (one per calling tier); ``deposit`` on a first attempt, ``withdraw`` on a
    retry. Needs only the current time."""

    def __init__(self, settings: Settings, ttl_s: float = BUDGET_TTL_S) -> None:
        self.ratio = settings.ratio
        self.reserve = settings.min_per_second * ttl_s
        self.ttl_s = ttl_s
        self.deposits: deque[float] = deque()
        self.withdrawals: deque[float] = deque()
        self.denied = 0

    def deposit(self, now: float) -> None:
        """A first attempt was made."""
        self.deposits.append(now)

    def withdraw(self, now: float) -> bool:
        """May a retry be made now? (True takes a token; False counts a denial.)"""
        if self.balance(now) >= 1.0:
            self.withdrawals.append(now)
            return True
        self.denied += 1
        return False

    def balance(self, now: float) -> float:
        """Tokens left now: the reserve plus the live deposits, less the live withdrawals."""
        horizon = now - self.ttl_s
        for times in (self.deposits, self.withdrawals):
            while times and times[0] <= horizon:
                times.popleft()
        return self.reserve + self.ratio * len(self.deposits) - len(self.withdrawals)


__all__ = ["BUDGET_TTL_S", "RetryBudget"]
