"""A counted pool of identical servers (threads, call slots) with a FIFO wait list.

Cheaper than ``simpy.Resource`` for the common case: taking a free server costs no event, and a
released server passes straight to the next waiter. Waits can be cancelled (a crashed worker, a
client that gave up).
"""

from __future__ import annotations

from collections import deque

import simpy

from sim.records import Level


class Pool:
    """``size`` servers (0 = unlimited); ``busy`` and ``queue`` levels track their use."""

    def __init__(self, env: simpy.Environment, size: int, busy: Level | None = None,
                 queue: Level | None = None) -> None:
        self.env = env
        self.unlimited = size == 0
        self.free = size
        self.waiting: deque[simpy.Event] = deque()
        self.busy = busy or Level()
        self.queue = queue or Level()

    def acquire(self) -> simpy.Event | None:
        """None if a server was free (it is taken now), else an event that fires when one is."""
        if self.unlimited or self.free:
            self.free -= not self.unlimited
            self.busy.add(self.env.now, 1)
            return None
        event = self.env.event()
        self.waiting.append(event)
        self.queue.add(self.env.now, 1)
        return event

    def cancel(self, event: simpy.Event) -> None:
        """Give up a wait; if the server was already handed over, give it back."""
        if event.triggered:
            self.release()
        else:
            self.waiting.remove(event)
            self.queue.add(self.env.now, -1)

    def release(self) -> None:
        if self.waiting:  # the server passes straight to the next waiter
            self.queue.add(self.env.now, -1)
            self.waiting.popleft().succeed()
        else:
            self.free += not self.unlimited
            self.busy.add(self.env.now, -1)
