"""Background workers (Celery-like): ``concurrency`` slots each, a prefetch window, acks.

A worker may hold ``prefetch_multiplier × concurrency`` unacknowledged messages. With early
acknowledgement (the default, as in Celery) a message is acknowledged when it *starts*, so a busy
worker can reserve more messages that then wait behind it; with ``acks_late`` it is acknowledged
when it finishes, so with multiplier 1 each slot holds exactly one message.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import TYPE_CHECKING

from sim.model.task import Message
from sim.records import FAILURE, IN_PROGRESS, SUCCESS

if TYPE_CHECKING:
    from sim.model.system import System


class Worker:
    """One worker process consuming from the broker."""

    def __init__(self, system: System, index: int) -> None:
        cfg = system.scenario.workers
        self.system = system
        self.env = system.env
        self.rec = system.rec
        self.index = index
        self.free = cfg.concurrency
        self.prefetch = cfg.prefetch_multiplier * cfg.concurrency
        self.acks_late = cfg.acks_late
        self.unacked = 0
        self.reserved: deque[Message] = deque()
        self.busy_level = system.rec.levels["worker_busy"]
        self.queue_level = system.rec.levels["queue_depth"]
        self.busy_time = 0.0

    def has_credit(self) -> bool:
        return self.unacked < self.prefetch

    def deliver(self, msg: Message) -> None:
        """The broker hands this worker a message (it counts against the prefetch window)."""
        self.unacked += 1
        if self.free:
            self.start(msg)
        else:
            self.reserved.append(msg)

    def start(self, msg: Message) -> None:
        now = self.env.now
        self.free -= 1
        self.busy_level.add(now, 1)
        self.queue_level.add(now, -1)
        attempt = self.rec.new_attempt(msg.task, msg.attempt + 1, self.index, msg.enqueued, now)
        self.rec.task_state[msg.task] = IN_PROGRESS
        service = msg.service_time()
        self.busy_time += service
        done = self.env.timeout(service)
        done.callbacks.append(partial(self._finish, msg, attempt))
        if not self.acks_late:
            self.unacked -= 1
            self.system.broker.credit(self)

    def _finish(self, msg: Message, attempt: int, _event: object) -> None:
        ok = msg.succeeds()
        self.rec.end_attempt(attempt, self.env.now, SUCCESS if ok else FAILURE)
        self.free += 1
        self.busy_level.add(self.env.now, -1)
        if self.acks_late:
            self.unacked -= 1
        self.system.attempt_done(msg, ok)
        if self.reserved:
            self.start(self.reserved.popleft())
        self.system.broker.credit(self)
