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
  lost; every unacknowledged message (acks_late running tasks, prefetched and ETA-held ones)
  goes back to the broker with the connection: RabbitMQ requeues at once, Redis only when a
  restore sweep finds it past the visibility timeout.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import simpy

from sim.model.retry import SOFT_TIME_LIMIT, TIME_LIMIT
from sim.model.task import Delivery
from sim.records import FAILURE, IN_PROGRESS, KILLED, SUCCEEDED, SUCCESS, Level

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
        self.waking = False
        self.alive = True
        self.unacked = 0  # deliveries in the prefetch window (held ETA retries are not)
        self.channel = 0  # the connection generation: a new one after each connection loss
        self.reserved: deque[Delivery] = deque()
        self.held: dict[Delivery, None] = {}  # ETA retries waiting to be due, in order
        self.running: dict[Delivery, simpy.Event] = {}
        self.busy = Level()
        self.all_busy = system.rec.levels["worker_busy"]
        self.queue_level = system.rec.levels["queue_depth"]
        self.downstream = system.downstream

    # --- receiving --------------------------------------------------------------------
    def has_credit(self) -> bool:
        return self.alive and self.unacked < self.prefetch

    def deliver(self, delivery: Delivery) -> None:
        """The broker hands this worker a message (it counts against the prefetch window,
        unless it is a retry to hold until its ETA)."""
        delivery.channel = self.channel
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
        while self.free and self.reserved and self.alive:
            if self.spacing and self.env.now < self.next_start:
                self._wake_at(self.next_start)
                return
            self._start(self.reserved.popleft())

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
        done = self.downstream.begin(msg.service_time(), msg.succeeds(), self.time_limit,
                                     self.limit_error)
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
        ok = value is True
        now = self.env.now
        self.rec.end_attempt(delivery.attempt_row, now, SUCCESS if ok else FAILURE)
        del self.running[delivery]
        self.free += 1
        self.busy.add(now, -1)
        self.all_busy.add(now, -1)
        if self.acks_late:
            self._ack(delivery)
        if ok or value is False:
            self.system.attempt_done(delivery, ok)
        else:  # a time limit struck
            self.system.attempt_done(delivery, False, error=value)
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
        self._drop_unacked()
        self.free = self.concurrency

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
        for delivery in self.running:
            if not delivery.acked and not delivery.stale:
                self.broker.lost_ack(delivery)
        self._drop_unacked()

    def restart(self) -> None:
        if self.alive:
            return
        self.alive = True
        self.broker.restarted(self)
