"""The downstream service a task calls (an SMTP server, a payment gateway).

It has an optional cap on concurrent calls (``downstream.capacity``); waiting for a free
connection is part of the task's time. Faults change it for a window: during an outage every
call fails (after taking its usual time and connection: the service answers with an error), a
slowdown multiplies call times. With ``downstream.timeout`` the *caller* gives up on a call
that takes too long, but the downstream still finishes the work it was given: the wasted work
that turns retries into a storm.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from sim.model.pool import Pool

if TYPE_CHECKING:
    from sim.model.system import System


class Downstream:
    """Capacity, outage and slowdown state of the external service."""

    def __init__(self, system: System) -> None:
        cfg = system.scenario.downstream
        self.env = system.env
        self.pool = Pool(system.env, cfg.capacity, system.rec.levels["downstream_busy"],
                         system.rec.levels["downstream_queue"])
        self.timeout = cfg.timeout
        self.down = 0  # > 0 while an outage is active (outages may overlap)
        self.factor = 1.0
        self.simple = self.pool.unlimited and not self.timeout

    def call(self, service: float, succeeds: bool) -> Generator:
        """Wait for a connection, make the call; returns whether it succeeded. A caller that
        is killed (worker crash) stops waiting and hangs up."""
        wait = self.pool.acquire()
        if wait is not None:
            try:
                yield wait
            except simpy.Interrupt:
                self.pool.cancel(wait)
                return False
        broken = self.down > 0
        try:
            yield self.env.timeout(service * self.factor)
        except simpy.Interrupt:
            return False
        finally:
            self.pool.release()
        return succeeds and not broken

    def limited_call(self, service: float, succeeds: bool, limit: float | None,
                     error: str = "") -> Generator:
        """A call the caller abandons after ``limit`` seconds (a worker's time limit) or the
        downstream ``timeout``, whichever is shorter. Abandoned at the limit, it ends with
        ``error`` (which limit struck) instead of False.

        The downstream side runs on its own, so abandoned work still occupies a connection.
        """
        give_up = min(x for x in (limit, self.timeout or None) if x is not None)
        work = self.env.process(self.call(service, succeeds))
        try:
            result = yield work | self.env.timeout(give_up)
        except simpy.Interrupt:
            return False
        if work in result:
            return work.value
        return error if error and give_up == limit else False

    def outage(self, delta: int) -> None:
        """An outage starts (+1) or ends (-1); outages may overlap."""
        self.down += delta

    def slow(self, factor: float) -> None:
        """A slowdown starts (factor) or ends (1 / factor)."""
        self.factor *= factor

    def begin(self, service: float, succeeds: bool, limit: float | None = None,
              error: str = "") -> simpy.Event:
        """Start a call; the returned event fires when the caller has its answer: True if the
        call succeeded, False if it failed, ``error`` if the caller's ``limit`` struck first.
        Without caps or limits this is one plain timeout."""
        if self.simple and limit is None:
            return self.env.timeout(service * self.factor, succeeds and not self.down)
        if limit is None and not self.timeout:
            return self.env.process(self.call(service, succeeds))
        return self.env.process(self.limited_call(service, succeeds, limit, error))
