"""Redis as Celery's broker: a list queue plus kombu's emulated acknowledgements.

Redis has no acknowledgements and no connection-bound deliveries. kombu's Redis transport
(kombu/transport/redis.py, ``QoS``) records every delivered message with its delivery time in an
"unacked" sorted set; an ack removes it. Nothing puts a message back when a worker dies: a
periodic sweep, ``QoS.restore_visible``, run by every live worker, restores the messages that
have been unacknowledged for longer than ``visibility_timeout`` to the tail of the queue.

In kombu 5.3–5.6 the worker's event loop calls ``maybe_restore_messages`` every 10 s and
``restore_visible`` only scans on every 10th call, plus once when the worker starts
(``on_poll_init``): a sweep about every 100 s per worker, which is ``restore_interval`` here.
So a message comes back between ``visibility_timeout`` and ``visibility_timeout +
restore_interval`` after it was delivered:

- a task still running (acks_late) or waiting in a worker's prefetch or ETA buffer then is
  delivered again while the first copy lives on: it runs twice;
- a crashed worker's unacknowledged messages stay invisible until then (RabbitMQ returns them
  at once);
- a retry whose countdown is longer than the visibility timeout is restored while a worker
  holds it, and runs twice when it is due.

A reject with requeue (``task_reject_on_worker_lost``) restores the message at once, at the head.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from sim.model.brokers.rabbitmq import QueueBroker
from sim.model.task import Delivery, Message
from sim.model.workers import Worker

if TYPE_CHECKING:
    from sim.model.system import System


class RedisBroker(QueueBroker):
    """Queue broker with kombu's Redis-transport visibility timeout and restore sweeps."""

    def __init__(self, system: System) -> None:
        super().__init__(system)
        cfg = system.scenario.broker
        assert cfg.kind == "redis"
        self.visibility_timeout = cfg.visibility_timeout
        self.restore_interval = cfg.restore_interval
        self.unacked: deque[Delivery] = deque()  # the unacked index, in delivery order
        self.phase = [0.0] * len(self.consumers)  # each worker sweeps at phase + k × interval
        self.sweep_at = math.inf  # the next planned sweep
        self.plan = 0  # its generation: a newer plan voids older timers

    def _hand(self, consumer: Worker, msg: Message) -> None:
        delivery = Delivery(msg, self.env.now)
        self.unacked.append(delivery)
        if self.sweep_at == math.inf:
            self._plan()
        consumer.deliver(delivery)

    def acked(self, consumer: Worker, delivery: Delivery) -> None:
        delivery.released = True

    # --- restore sweeps ---------------------------------------------------------------
    # Every live worker sweeps every ``restore_interval`` from its start. A sweep that finds
    # nothing past the visibility timeout changes nothing, so only the sweeps that can restore
    # something are scheduled: the first one after the oldest unacknowledged delivery is due
    # (a long quiet run costs no events).
    def _plan(self, after_sweep: bool = False) -> None:
        """Schedule the first sweep that can restore the oldest unacknowledged delivery."""
        unacked, now = self.unacked, self.env.now
        while unacked and (unacked[0].released or unacked[0].stale):
            unacked.popleft()
        if not unacked:
            return
        due = max(now, unacked[0].delivered + self.visibility_timeout)
        at = math.inf
        interval = self.restore_interval
        for worker in self.consumers:
            if worker.alive:
                start = self.phase[worker.index]
                when = start + max(0, math.ceil((due - start) / interval)) * interval
                if after_sweep and when <= now:
                    when += interval
                at = min(at, when)
        if at < self.sweep_at:
            self.sweep_at = at
            self.plan += 1
            plan = self.plan
            self.env.timeout(at - now).callbacks.append(lambda _e: self._sweep(plan))

    def _replan(self) -> None:
        """The workers changed (a crash, a restart): plan the next sweep afresh."""
        self.sweep_at = math.inf
        self.plan += 1
        self._plan()

    def _sweep(self, plan: int) -> None:
        if plan != self.plan:
            return
        self.sweep_at = math.inf
        self.restore_visible()
        self._plan(after_sweep=True)

    def restore_visible(self) -> None:
        """Put back every message unacknowledged for longer than the visibility timeout."""
        if self.down:
            return
        unacked, now = self.unacked, self.env.now
        ceiling = now - self.visibility_timeout
        restored = False
        while unacked and unacked[0].delivered <= ceiling:
            delivery = unacked.popleft()
            if delivery.released or delivery.stale:
                continue
            delivery.released = True
            self._restore(delivery)
            restored = True
        if restored:
            self.wake_all()

    def _restore(self, delivery: Delivery) -> None:
        """Back to the tail of the queue (kombu's ``lpush``; consumers ``brpop``)."""
        msg = delivery.msg
        if delivery.killed:  # nobody holds it any more: the message itself comes back
            msg.deliveries += 1
            self.system.redelivered(msg)
            self.ready.append(msg)
            return
        # a worker still holds it (running, prefetched or waiting for its ETA): a twin
        delivery.stale = True
        twin = msg.copy()
        twin.services = self.system.redelivery_sizes.draw()[0]  # a new run takes its own time
        twin.deliveries += 1
        twin.enqueued = max(self.env.now, twin.eta)  # it waits in the queue from now on
        self.system.redelivered(twin, copy=True)
        if twin.waiting:
            self._wait_for_eta(twin)
        else:
            self.depth.add(self.env.now, 1)
        self.ready.append(twin)

    # --- connections ------------------------------------------------------------------
    def connection_lost(self, delivery: Delivery) -> None:
        """Nothing comes back with a lost connection on Redis: the message stays in the
        unacked index until a sweep finds it past the visibility timeout."""
        if delivery.stale:  # already restored as a twin: this copy just ends
            delivery.released = True
            self.uncount(delivery.msg)
            self.system.gone()

    def lost_ack(self, delivery: Delivery) -> None:
        """The running task's ack will not reach Redis: a sweep will restore it later."""

    def restarted(self, worker: Worker) -> None:
        """A worker (re)starts: it sweeps at once (kombu's ``on_poll_init``), then every
        ``restore_interval``."""
        self.phase[worker.index] = self.env.now
        self.restore_visible()
        super().restarted(worker)
        self._replan()

    def crash(self, consumer: Worker, scope: str = "worker") -> None:
        super().crash(consumer, scope)
        if scope == "worker":  # its sweeps stop
            self._replan()
