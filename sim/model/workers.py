"""Background workers (Celery-like) consuming from a queue broker (RabbitMQ or Redis).

A worker has ``concurrency`` slots and may hold ``prefetch_multiplier × concurrency``
unacknowledged messages. With early acknowledgement (Celery's default) a message is acknowledged
when it *starts*, so a busy worker keeps reserving more, which then wait behind it; with
``acks_late`` it is acknowledged when it finishes. ``rate_limit`` spaces task starts per worker
(Celery: per worker instance, not global); ``soft_time_limit``/``time_limit`` end an attempt that
runs too long (a failure that follows the retry policy). A crash kills running attempts and
returns unacknowledged messages to the broker; acknowledged-but-unfinished tasks are lost.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import simpy

from sim.model.guard import attempt_outcome
from sim.model.task import Delivery
from sim.records import IN_PROGRESS, KILLED, SUCCEEDED, Level

if TYPE_CHECKING:
    from sim.model.brokers.rabbitmq import QueueBroker
    from sim.model.system import System


class Worker:
    """One worker process: slots, a prefetch window, acknowledgements, crashes."""

    def __init__(self, system: System, broker: QueueBroker, index: int) -> None:
        cfg = system.scenario.workers
        self.system = system
        self.broker = broker
        self.env = system.env
        self.rec = system.rec
        self.index = index
        self.concurrency = cfg.concurrency
        self.free = cfg.concurrency
        self.prefetch = cfg.prefetch_multiplier * cfg.concurrency
        self.acks_late = cfg.acks_late
        self.reject_on_lost = cfg.task_reject_on_worker_lost
        limits = [x for x in (cfg.soft_time_limit, cfg.time_limit) if x is not None]
        self.time_limit = min(limits) if limits else None
        rate = cfg.rate_per_second()
        self.spacing = 1.0 / rate if rate else 0.0
        self.next_start = 0.0
        self.waking = False
        self.alive = True
        self.unacked = 0
        self.reserved: deque[Delivery] = deque()
        self.running: dict[Delivery, simpy.Event] = {}
        self.busy = Level()
        self.all_busy = system.rec.levels["worker_busy"]
        self.queue_level = system.rec.levels["queue_depth"]
        self.guard = system.guard

    # --- receiving --------------------------------------------------------------------
    def has_credit(self) -> bool:
        return self.alive and self.unacked < self.prefetch

    def deliver(self, delivery: Delivery) -> None:
        """The broker hands this worker a message (it counts against the prefetch window)."""
        self.unacked += 1
        self.reserved.append(delivery)
        self._fill()

    def _fill(self) -> None:
        skipped = False
        while self.free and self.reserved and self.alive:
            if self.guard.checks_expiry and self.guard.expired(self.reserved[0].msg):
                self._discard(self.reserved.popleft())
                skipped = True
                continue
            if self.spacing and self.env.now < self.next_start:
                self._wake_at(self.next_start)
                return
            self._start(self.reserved.popleft())
        if skipped:  # room in the prefetch window again: ask the broker, after this event
            self.env.timeout(0).callbacks.append(lambda _e: self.broker.credit(self))

    def _discard(self, delivery: Delivery) -> None:
        """An expired message is acknowledged and skipped, not run (Celery: expires)."""
        self.queue_level.add(self.env.now, -1)
        self._ack(delivery)
        self.system.expire(delivery.msg)

    def _wake_at(self, when: float) -> None:
        if not self.waking:
            self.waking = True
            self.env.timeout(when - self.env.now).callbacks.append(self._wake)

    def _wake(self, _event: object) -> None:
        self.waking = False
        self._fill()

    # --- running ----------------------------------------------------------------------
    def _start(self, delivery: Delivery) -> None:
        now, msg = self.env.now, delivery.msg
        self.next_start = max(now, self.next_start) + self.spacing
        self.free -= 1
        self.busy.add(now, 1)
        self.all_busy.add(now, 1)
        self.queue_level.add(now, -1)
        delivery.attempt_row = self.rec.new_attempt(msg.task, msg.attempt + 1, self.index,
                                                    msg.enqueued, now)
        states = self.rec.task_state
        if states[msg.task] < SUCCEEDED:
            states[msg.task] = IN_PROGRESS
        done = self.guard.call(msg, self.time_limit)
        done.callbacks.append(lambda event: self._finish(delivery, event))
        self.running[delivery] = done
        if not self.acks_late:
            self._ack(delivery)

    def _ack(self, delivery: Delivery) -> None:
        delivery.acked = True
        self.unacked -= 1
        self.broker.acked(self, delivery)

    def _finish(self, delivery: Delivery, event: simpy.Event) -> None:
        if delivery.killed:
            return  # a crash already accounted for it
        ok = bool(event.value)
        now = self.env.now
        self.rec.end_attempt(delivery.attempt_row, now, attempt_outcome(event.value))
        del self.running[delivery]
        self.free += 1
        self.busy.add(now, -1)
        self.all_busy.add(now, -1)
        if self.acks_late:
            self._ack(delivery)
        self.system.attempt_done(delivery, ok)
        self._fill()
        self.broker.credit(self)

    # --- crashing ---------------------------------------------------------------------
    def crash(self) -> None:
        """The process dies: running attempts are killed, unacked messages go back."""
        if not self.alive:
            return
        now = self.env.now
        self.alive = False
        broker = self.broker
        for delivery, event in list(self.running.items()):
            delivery.killed = True
            if isinstance(event, simpy.Process) and event.is_alive:
                event.interrupt("worker crash")
            self.rec.end_attempt(delivery.attempt_row, now, KILLED)
            self.busy.add(now, -1)
            self.all_busy.add(now, -1)
            if delivery.acked:
                self.system.task_lost(delivery, "worker_lost")
            elif self.reject_on_lost:
                broker.requeue(delivery)
            else:
                self.system.task_failed(delivery, "worker_lost")
        for delivery in self.reserved:
            delivery.killed = True  # this delivery is over; the broker may deliver it again
            self.queue_level.add(now, -1)  # it leaves this worker; requeue counts it again
            broker.requeue(delivery)
        self.running.clear()
        self.reserved.clear()
        self.unacked = 0
        self.free = self.concurrency

    def restart(self) -> None:
        if self.alive:
            return
        self.alive = True
        self.broker.credit(self)

