"""Background workers (Celery-like) consuming from a queue broker (RabbitMQ or Redis).

A worker has ``concurrency`` slots (prefork pool processes) and may hold
``prefetch_multiplier × concurrency`` unacknowledged messages. With early acknowledgement
(Celery's default) a message is acknowledged when it *starts*, so a busy worker keeps reserving
more, which then wait behind it; with ``acks_late`` it is acknowledged when it finishes.
``rate_limit`` spaces task starts per worker (Celery: per worker instance, not global).

Retries with a countdown arrive as messages with an ETA: the worker holds them, unacknowledged
and outside its prefetch window (Celery raises the prefetch count for each), until they are due.

Time limits (celery/worker/request.py ``on_timeout``): ``time_limit`` kills the pool process, the
attempt fails with ``TimeLimitExceeded`` and is not retried; ``soft_time_limit`` raises
``SoftTimeLimitExceeded`` inside the task, which retries on it if
``task.retry_on_soft_time_limit``.

Crashes (``worker_crash`` faults), as Celery does it (celery/worker/request.py ``on_failure``):

- ``scope: child``: one pool process dies (``WorkerLostError``) and the pool replaces it. An
  early-acked task is recorded as failed; with ``acks_late`` the message is requeued if
  ``task_reject_on_worker_lost``, otherwise acknowledged and the task failed.
- ``scope: worker``: the whole worker (or its machine) is gone. Early-acked running tasks are
  lost; every unacknowledged message (acks_late running tasks, prefetched and ETA-held ones,
  finished ones whose late ack was not sent yet) goes back to the broker with the connection:
  RabbitMQ requeues at once, Redis only when a restore sweep finds it past the visibility
  timeout.

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
from sim.model.retry import SOFT_TIME_LIMIT, TIME_LIMIT
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
        # the first limit to strike ends the attempt (soft_time_limit ≤ time_limit)
        if cfg.soft_time_limit is not None:
            self.time_limit, self.limit_error = cfg.soft_time_limit, SOFT_TIME_LIMIT
        else:
            self.time_limit, self.limit_error = cfg.time_limit, TIME_LIMIT
        rate = cfg.rate_per_second()
        self.spacing = 1.0 / rate if rate else 0.0
        self.next_start = 0.0
        self.waking_at = math.inf
        self.alive = True
        self.unacked = 0  # deliveries in the prefetch window (held ETA retries are not)
        self.channel = 0  # the connection generation: a new one after each connection loss
        self.reserved: deque[Delivery] = deque()
        self.held: dict[Delivery, None] = {}  # ETA retries waiting to be due, in order
        self.running: dict[Delivery, simpy.Event] = {}
        self.busy = Level()
        self.all_busy = system.rec.levels["worker_busy"]
        self.queue_level = system.rec.levels["queue_depth"]
        dispatch, overhead = system.scenario.broker.dispatch_delay, cfg.overhead()
        self.dispatch = (None if is_zero(dispatch)
                         else draw_fn(system.streams, "dispatch_delay", dispatch))
        self.overhead = (None if is_zero(overhead)
                         else draw_fn(system.streams, "task_overhead", overhead))
        self.tails: dict[Delivery, None] = {}  # slots busy with the overhead after a body
        self.epoch = 0  # crashes so far: an overhead that began before a crash is void
        self.guard = system.guard

    # --- receiving --------------------------------------------------------------------
    def has_credit(self) -> bool:
        return self.alive and self.unacked < self.prefetch

    def deliver(self, delivery: Delivery) -> None:
        """The broker hands this worker a message (it counts against the prefetch window,
        unless it is a retry to hold until its ETA)."""
        delivery.channel = self.channel
        if self.dispatch is not None and self.free > len(self.reserved):  # a slot awaits it
            delivery.ready = self.env.now + self.dispatch()
        msg = delivery.msg
        if msg.eta:
            if msg.eta > self.env.now:
                self.held[delivery] = None
                self.env.timeout(msg.eta - self.env.now).callbacks.append(
                    lambda _e: self._due(delivery))
                return
            self.broker.due(msg)
        self.unacked += 1
        self.reserved.append(delivery)
        self._fill()

    def _due(self, delivery: Delivery) -> None:
        """A held retry's ETA has come: it joins the reserved tasks."""
        if delivery not in self.held:  # the worker lost it meanwhile (crash, outage)
            return
        del self.held[delivery]
        self.broker.due(delivery.msg)
        self.unacked += 1
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
        done = self.guard.call(msg, self.time_limit, self.limit_error)
        done.callbacks.append(lambda event: self._finish(delivery, event))
        self.running[delivery] = done
        if not self.acks_late:
            self._ack(delivery)

    def _ack(self, delivery: Delivery) -> None:
        delivery.acked = True
        if delivery.channel == self.channel:  # an ack on a closed connection goes nowhere
            self.unacked -= 1
            self.broker.acked(self, delivery)

    def _finish(self, delivery: Delivery, event: simpy.Event) -> None:
        if delivery.killed:
            return  # a crash already accounted for it
        value = event.value
        if value.__class__ is str:  # a time limit struck: a failure, with its error
            self.rec.end_attempt(delivery.attempt_row, self.env.now, attempt_outcome(False))
            del self.running[delivery]
            self.system.attempt_done(delivery, False, error=value)
        else:
            self.rec.end_attempt(delivery.attempt_row, self.env.now, attempt_outcome(value))
            del self.running[delivery]
            self.system.attempt_done(delivery, bool(value))
        if self.overhead is None:
            self._release(delivery)
            return
        self.tails[delivery] = None
        epoch = self.epoch
        self.env.timeout(self.overhead()).callbacks.append(
            lambda _e: self._end_tail(delivery, epoch))

    def _end_tail(self, delivery: Delivery, epoch: int) -> None:
        if epoch == self.epoch:  # else the worker crashed meanwhile and reset its slots
            del self.tails[delivery]
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

    def _kill(self, delivery: Delivery, event: simpy.Event) -> None:
        """Stop a running attempt (its process died)."""
        now = self.env.now
        delivery.killed = True
        if isinstance(event, simpy.Process) and event.is_alive:
            event.interrupt("worker lost")
        self.rec.end_attempt(delivery.attempt_row, now, KILLED)
        self.busy.add(now, -1)
        self.all_busy.add(now, -1)

    # --- crashing ---------------------------------------------------------------------
    def kill_child(self) -> None:
        """One pool process dies (WorkerLostError) while running the oldest task; the worker
        lives on and the pool replaces the process at once."""
        if not self.alive or not self.running:
            return
        delivery, event = next(iter(self.running.items()))
        del self.running[delivery]
        self._kill(delivery, event)
        self.free += 1
        if delivery.acked:  # early ack: the broker forgot it; Celery records the failure
            self.system.task_failed(delivery, "WorkerLostError")
        elif self.reject_on_lost:  # reject(requeue=True)
            self.queue_level.add(self.env.now, 1)  # waiting again
            if delivery.channel == self.channel:
                self.unacked -= 1
            self.broker.requeue(delivery)
        else:  # acks_on_failure_or_timeout: acknowledged, recorded as failed
            self._ack(delivery)
            self.system.task_failed(delivery, "WorkerLostError")
        self._fill()
        self.broker.credit(self)

    def crash(self) -> None:
        """The whole worker (or its machine) is gone: running attempts are killed;
        early-acked ones are lost; every unacknowledged message goes back with the
        connection (when, depends on the broker)."""
        if not self.alive:
            return
        now = self.env.now
        self.alive = False
        broker = self.broker
        for delivery, event in list(self.running.items()):
            self._kill(delivery, event)
            if delivery.acked:
                self.system.task_lost(delivery, "worker_lost")
            else:
                self.queue_level.add(now, 1)  # waiting again
                broker.connection_lost(delivery)
        self.running.clear()
        self._end_tails(now)
        self._drop_unacked()
        self.free = self.concurrency

    def _end_tails(self, now: float) -> None:
        """Slots in their overhead after a finished task are freed; a late ack not sent yet
        never will be: the broker redelivers the message (the task runs again)."""
        self.epoch += 1
        for delivery in self.tails:
            if self.acks_late and not delivery.stale:
                self.broker.lost_ack(delivery)
        if self.tails:
            self.busy.add(now, -len(self.tails))
            self.all_busy.add(now, -len(self.tails))
            self.tails.clear()

    def _drop_unacked(self) -> None:
        """The worker lets go of its prefetched and held messages (they go back to the
        broker with the connection; they stay counted where they wait)."""
        broker = self.broker
        lost = [*self.reserved, *self.held]
        self.reserved.clear()
        self.held.clear()
        self.unacked = 0
        self.channel += 1
        for delivery in lost:
            delivery.killed = True
            broker.connection_lost(delivery)

    def connection_closed(self) -> None:
        """The broker connection dropped (broker outage): prefetched and held messages are
        forgotten (Celery's consumer ``on_close``), running tasks go on, but the acks of
        acks_late ones go nowhere: the broker redelivers those messages."""
        if not self.alive:
            return
        for delivery in [*self.running, *self.tails]:
            if not delivery.acked and not delivery.stale:
                self.broker.lost_ack(delivery)
        self._drop_unacked()

    def restart(self) -> None:
        if self.alive:
            return
        self.alive = True
        self.broker.restarted(self)
