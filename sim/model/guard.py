"""The defences of the tier that calls the downstream (web handlers in sync, workers in async):
a circuit breaker around its calls, deposits into the retry budget, and deadlines on its work.

``call`` starts the downstream call of a message's current attempt: through the breaker (an open
breaker answers at once, with ``None`` instead of True/False, and the service sees nothing), and
depositing into the retry budget on a first attempt (the budget's withdrawals are made by the
one retry decision, :class:`sim.model.retry.Retrier`). ``expired`` says whether a message's work
is no longer wanted (its request's ``arrivals.deadline`` or its ``task.expires`` has passed).
With every defence off, ``call`` is the downstream's own ``begin``, so runs without defences
take the same path as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from sim.model.breaker import HALF_OPEN, OPEN, CircuitBreaker
from sim.model.task import Message
from sim.records import FAILURE, SHORT_CIRCUITED, SUCCESS
from sim.schema import Scenario

if TYPE_CHECKING:
    from sim.model.system import System

BREAKER_LEVELS = ("breaker_open", "breaker_half_open")


def attempt_outcome(value: bool | None) -> int:
    """The attempt record's outcome for a call's result (None: refused by the breaker)."""
    return SUCCESS if value else SHORT_CIRCUITED if value is None else FAILURE


def level_names(scenario: Scenario) -> tuple[str, ...]:
    """Time-series levels of the breaker's state (none without a breaker)."""
    return BREAKER_LEVELS if scenario.circuit_breaker.enabled else ()


class Guard:
    """Breaker, budget and deadlines of one calling tier."""

    def __init__(self, system: System) -> None:
        scenario = system.scenario
        self.env = system.env
        self.downstream = system.downstream
        self.levels = {state: system.rec.levels.get(f"breaker_{state}") for state in
                       (OPEN, HALF_OPEN)}
        cfg = scenario.circuit_breaker
        self.breaker = CircuitBreaker(cfg, self._moved) if cfg.enabled else None
        self.moves: list[tuple[float, str, str]] = []  # (time, from, to) of the breaker
        self.budget = system.retrier.budget
        self.deadline_s = scenario.arrivals.deadline
        self.expires_s = scenario.task.expires if system.mode == "async" else 0.0
        self.checks_expiry = bool(self.deadline_s or self.expires_s)
        if self.breaker is None and self.budget is None:
            self.call = self._plain  # type: ignore[method-assign]

    # --- calls ------------------------------------------------------------------------
    def _plain(self, msg: Message, limit: float | None = None, error: str = "") -> simpy.Event:
        return self.downstream.begin(msg.service_time(), msg.succeeds(), limit, error)

    def call(self, msg: Message, limit: float | None = None, error: str = "") -> simpy.Event:
        """Start the call of ``msg``'s current attempt; the event's value is whether it
        succeeded, None when an open breaker refused it, or ``error`` when the caller's
        ``limit`` struck first (see ``Downstream.begin``)."""
        now = self.env.now
        if self.budget is not None and msg.attempt == 0:
            self.budget.deposit(now)
        breaker = self.breaker
        if breaker is None:
            return self._plain(msg, limit, error)
        permit = breaker.acquire(now)
        if permit is None:
            refused = self.env.event()
            refused.succeed(None)
            return refused
        done = self._plain(msg, limit, error)
        done.callbacks.append(lambda event: breaker.record(permit, self.env.now,
                                                           event.value is True))
        return done

    # --- deadlines --------------------------------------------------------------------
    def stamp(self, msg: Message, arrival: float) -> None:
        """Give a new message its deadline (when its work stops being wanted)."""
        if self.deadline_s:
            msg.deadline = arrival + self.deadline_s
        if self.expires_s:
            msg.deadline = min(msg.deadline, self.env.now + self.expires_s)

    def expired(self, msg: Message) -> bool:
        return self.env.now >= msg.deadline

    # --- the breaker's state over time ------------------------------------------------
    def _moved(self, now: float, old: str, new: str) -> None:
        self.moves.append((now, old, new))
        for state, delta in ((old, -1), (new, +1)):
            level = self.levels.get(state)
            if level is not None:
                level.add(now, delta)
        if new == OPEN and self.breaker is not None:
            breaker = self.breaker
            self.env.timeout(breaker.wait_s).callbacks.append(
                lambda _e: breaker.poll(self.env.now))

    def breaker_summary(self, end: float) -> dict[str, float]:
        if self.breaker is None:
            return {"opened": 0, "time_open_s": 0.0}
        return {"opened": self.breaker.opened, "time_open_s": self.breaker.open_time(end)}


__all__ = ["BREAKER_LEVELS", "Guard", "attempt_outcome", "level_names"]
