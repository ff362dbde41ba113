"""Background workers (Celery-like) consuming from a queue broker (RabbitMQ or Redis).

A worker has ``concurrency`` slots and may hold ``prefetch_multiplier × concurrency``
unacknowledged messages. With early acknowledgement (Celery's default) a message is acknowledged
when it *starts*, so a busy worker keeps reserving more, which then wait behind it; with
``acks_late`` it is acknowledged when it finishes. ``rate_limit`` spaces task starts per worker
(Celery: per worker instance, not global); ``soft_time_limit``/``time_limit`` end an attempt that
runs too long (a failure that follows the retry policy). A crash kills running attempts and
returns unacknowledged messages to the broker; acknowledged-but-unfinished tasks are lost.

Measured overheads (see the calibration lab): a message delivered to a worker with a free slot
starts only ``broker.dispatch_delay`` later (the worker wakes, fetches it and hands it to a pool
process: queue wait, not run time); a message prefetched while every slot is busy starts as
soon as a slot frees. After the task body the slot stays busy for ``workers.task_overhead`` (or
``task_overhead_acks_late``): result, acknowledgement, bookkeeping and handing the next
prefetched message over. The task is done when its body ends; with ``acks_late`` the
acknowledgement, and so the prefetch credit, comes at the end of the overhead.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import simpy

from sim.dists import is_zero
from sim.model.guard import attempt_outcome
from sim.model.task import Delivery
from sim.records import IN_PROGRESS, KILLED, SUCCEEDED, Level
from sim.rng import draw_fn

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
        self.waking_at = math.inf
        self.alive = True
        self.unacked = 0
        self.reserved: deque[Delivery] = deque()
        self.running: dict[Delivery, simpy.Event] = {}
        self.busy = Level()
        self.all_busy = system.rec.levels["worker_busy"]
        self.queue_level = system.rec.levels["queue_depth"]
        dispatch, overhead = system.scenario.broker.dispatch_delay, cfg.overhead()
        self.dispatch = (None if is_zero(dispatch)
                         else draw_fn(system.streams, "dispatch_delay", dispatch))
        self.overhead = (None if is_zero(overhead)
                         else draw_fn(system.streams, "task_overhead", overhead))
        self.tails = 0  # slots busy with the overhead after a task body
        self.epoch = 0  # crashes so far: an overhead that began before a crash is void
        self.guard = system.guard

    # --- receiving --------------------------------------------------------------------
    def has_credit(self) -> bool:
        return self.alive and self.unacked < self.prefetch

    def deliver(self, delivery: Delivery) -> None:
        """The broker hands this worker a message (it counts against the prefetch window)."""
        self.unacked += 1
        if self.dispatch is not None and self.free > len(self.reserved):  # a slot awaits it
            delivery.ready = self.env.now + self.dispatch()
        self.reserved.append(delivery)
        self._fill()

    def _fill(self) -> None:
        reserved = self.reserved
        skipped = False
        while self.free and reserved and self.alive:
            now = self.env.now
            if self.guard.checks_expiry and self.guard.expired(reserved[0].msg):
                self._discard(reserved.popleft())
                skipped = True
                continue
            if self.spacing and now < self.next_start:
                self._wake_at(self.next_start)
                break
            if reserved[0].ready > now:  # still on its way (in order, as a worker reads)
                self._wake_at(reserved[0].ready)
                break
            self._start(reserved.popleft())
        if skipped:  # room in the prefetch window again: ask the broker, after this event
            self.env.timeout(0).callbacks.append(lambda _e: self.broker.credit(self))

    def _discard(self, delivery: Delivery) -> None:
        """An expired message is acknowledged and skipped, not run (Celery: expires)."""
        self.queue_level.add(self.env.now, -1)
        self._ack(delivery)
        self.system.expire(delivery.msg)

    def _wake_at(self, when: float) -> None:
        if when < self.waking_at:  # unless an earlier wake-up is already due
            self.waking_at = when
            self.env.timeout(when - self.env.now).callbacks.append(self._wake)

    def _wake(self, _event: object) -> None:
        self.waking_at = math.inf
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
        self.rec.end_attempt(delivery.attempt_row, self.env.now, attempt_outcome(event.value))
        del self.running[delivery]
        self.system.attempt_done(delivery, ok)
        if self.overhead is None:
            self._release(delivery)
            return
        self.tails += 1
        epoch = self.epoch
        self.env.timeout(self.overhead()).callbacks.append(
            lambda _e: self._end_tail(delivery, epoch))

    def _end_tail(self, delivery: Delivery, epoch: int) -> None:
        if epoch == self.epoch:  # else the worker crashed meanwhile and reset its slots
            self.tails -= 1
            self._release(delivery)

    def _release(self, delivery: Delivery) -> None:
        """The slot is free again (and, with acks_late, the message acknowledged)."""
        now = self.env.now
        self.free += 1
        self.busy.add(now, -1)
        self.all_busy.add(now, -1)
        if self.acks_late:
            self._ack(delivery)
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
        self.epoch += 1
        if self.tails:  # slots in their overhead after a finished task: nothing to redo
            self.busy.add(now, -self.tails)
            self.all_busy.add(now, -self.tails)
            self.tails = 0

    def restart(self) -> None:
        if self.alive:
            return
        self.alive = True
        self.broker.credit(self)

