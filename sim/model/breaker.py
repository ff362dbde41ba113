"""A circuit breaker: closed, open or half-open, driven by the outcomes of the calls it guards.

Closed: every call goes through and its outcome (success, or failure / timeout) enters a window
of the last ``sliding_window`` calls; once the window holds at least ``minimum_calls`` outcomes
and the failed share reaches ``failure_rate_threshold`` the breaker opens (Resilience4j's
count-based window). Open: every call fails at once, without reaching the service, for
``wait_in_open`` seconds; then half-open: ``half_open_calls`` trial calls are let through (more
fail fast); if all succeed it closes with an empty window, if any fails it opens again (Polly's
rule; Resilience4j compares the trial calls' failure rate with the threshold instead).

The breaker needs only the current time: the caller passes ``now``. A call's outcome counts
only in the state it was let through in (a permit carries that state's generation), so a slow
call that was let through before the breaker opened does not decide a later trial.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from sim.schema import CircuitBreaker as Settings

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
STATES = (CLOSED, OPEN, HALF_OPEN)

Listener = Callable[[float, str, str], None]  # (time, old state, new state)


class CircuitBreaker:
    """One breaker (one per calling tier). ``acquire`` before a call, ``record`` after it."""

    def __init__(self, settings: Settings, listener: Listener | None = None) -> None:
        self.threshold = settings.failure_rate_threshold
        self.minimum = settings.minimum_calls
        self.wait_s = settings.wait_in_open
        self.trials = settings.half_open_calls
        self.window: deque[bool] = deque(maxlen=settings.sliding_window)  # True = failed
        self.failed_in_window = 0
        self.state = CLOSED
        self.generation = 0
        self.open_until = 0.0
        self.trials_left = 0  # permits still to hand out while half-open
        self.trials_pending = 0  # trial calls let through whose outcome is not in yet
        self.listener = listener
        self.opened = 0
        self.fast_failures = 0
        self.opened_at = 0.0
        self.time_open_s = 0.0

    # --- the caller's side --------------------------------------------------------------
    def acquire(self, now: float) -> int | None:
        """A permit (the state's generation) for a call now, or None: fail fast."""
        self.poll(now)
        if self.state == CLOSED:
            return self.generation
        if self.state == HALF_OPEN and self.trials_left > 0:
            self.trials_left -= 1
            self.trials_pending += 1
            return self.generation
        self.fast_failures += 1
        return None

    def record(self, permit: int, now: float, ok: bool) -> None:
        """The outcome of a call made with ``permit`` (failed or timed out: ``ok`` False)."""
        if permit != self.generation:
            return  # let through in an earlier state: it decides nothing now
        if self.state == CLOSED:
            self._count(not ok)
            if (len(self.window) >= self.minimum
                    and self.failed_in_window >= self.threshold * len(self.window)):
                self._open(now)
        elif self.state == HALF_OPEN:
            self.trials_pending -= 1
            if not ok:
                self._open(now)
            elif self.trials_left == 0 and self.trials_pending == 0:
                self._move(now, CLOSED)

    def poll(self, now: float) -> str:
        """The state now (an open breaker whose wait is over turns half-open)."""
        if self.state == OPEN and now >= self.open_until:
            self.trials_left, self.trials_pending = self.trials, 0
            self._move(now, HALF_OPEN)
        return self.state

    def open_time(self, now: float) -> float:
        """Seconds spent open up to ``now``."""
        return self.time_open_s + (now - self.opened_at if self.state == OPEN else 0.0)

    # --- transitions ----------------------------------------------------------------------
    def _count(self, failed: bool) -> None:
        window = self.window
        if len(window) == window.maxlen and window[0]:
            self.failed_in_window -= 1
        window.append(failed)
        self.failed_in_window += failed

    def _open(self, now: float) -> None:
        self.opened += 1
        self.opened_at = now
        self.open_until = now + self.wait_s
        self._move(now, OPEN)

    def _move(self, now: float, state: str) -> None:
        old = self.state
        if old == OPEN:
            self.time_open_s += now - self.opened_at
        self.state = state
        self.generation += 1
        self.window.clear()
        self.failed_in_window = 0
        if self.listener is not None:
            self.listener(now, old, state)


__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "STATES", "CircuitBreaker"]
