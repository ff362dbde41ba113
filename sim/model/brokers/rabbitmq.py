"""A RabbitMQ-like broker: one FIFO queue pushing to consumers with prefetch credit.

Messages go round-robin to consumers with room in their prefetch window; the rest wait in the
queue, in order. Queue arguments as in RabbitMQ: ``max_length`` (ready messages) with
``overflow`` drop-head | reject-publish | reject-publish-dlx, ``message_ttl`` (expired at the
head of the queue), ``delivery_limit`` (quorum queues: too many redeliveries). Dead-lettered
messages keep their reason. Publisher confirms: a rejected publish is reported to the caller.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from sim.model.brokers.base import Broker
from sim.model.task import Delivery, Message
from sim.model.workers import Worker

if TYPE_CHECKING:
    from sim.model.system import System


class QueueBroker(Broker):
    """A single queue with push delivery (basic.consume with basic.qos prefetch), without
    queue arguments: the common part of RabbitMQ and Redis."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.env = system.env
        self.ready: deque[Message] = deque()
        self.depth = system.rec.levels["queue_depth"]
        self.max_length = 0
        self.overflow = "drop-head"
        self.ttl = 0.0
        self.delivery_limit = 0
        self.dead_letter_exhausted = system.scenario.broker.dead_letter
        self.down = 0
        self.consumers = [Worker(system, self, i) for i in range(system.scenario.workers.count)]
        self._next = 0

    # --- publishing -------------------------------------------------------------------
    def publish(self, msg: Message) -> bool:
        """Enqueue (or hand straight to a consumer); False if the broker refused it."""
        if self.down:
            return False
        now = self.env.now
        if self.max_length and len(self.ready) >= self.max_length and not self._has_taker():
            if self.overflow == "drop-head":
                self._drop(self.ready.popleft(), "maxlen")
            else:
                if self.overflow == "reject-publish-dlx":
                    self.system.dead_letter_new(msg, "maxlen")
                return False
        msg.enqueued = now
        if self.ttl:
            msg.expires = now + self.ttl
        self.depth.add(now, 1)
        self._offer(msg)
        return True

    def _has_taker(self) -> bool:
        return any(c.has_credit() for c in self.consumers)

    def _offer(self, msg: Message) -> None:
        consumers = self.consumers
        n = len(consumers)
        for k in range(n):
            i = (self._next + k) % n
            if consumers[i].has_credit():
                self._next = (i + 1) % n
                self._hand(consumers[i], msg)
                return
        self.ready.append(msg)

    def _hand(self, consumer: Worker, msg: Message) -> None:
        consumer.deliver(Delivery(msg))

    def _drop(self, msg: Message, reason: str) -> None:
        self.depth.add(self.env.now, -1)
        self.system.dead_letter(msg, reason)

    # --- consuming --------------------------------------------------------------------
    def credit(self, consumer: Worker) -> None:
        """A consumer has room again: give it waiting messages (expired ones are dropped)."""
        ready = self.ready
        while ready and consumer.has_credit() and not self.down:
            msg = ready.popleft()
            if msg.expires <= self.env.now:
                self._drop(msg, "expired")
                continue
            self._hand(consumer, msg)

    def acked(self, consumer: Worker, delivery: Delivery) -> None:
        """A consumer acknowledged a delivery (nothing to do for a plain queue)."""

    def requeue(self, delivery: Delivery) -> None:
        """An unacknowledged message comes back (its consumer died): redelivered at the head."""
        if delivery.stale:  # already made visible again (Redis): this copy just ends
            self.system.gone()
            return
        msg = delivery.msg
        msg.deliveries += 1
        self.system.redelivered(msg)
        if self.delivery_limit and msg.deliveries > self.delivery_limit:
            self.system.dead_letter(msg, "delivery_limit")
            return
        self.depth.add(self.env.now, 1)
        self.ready.appendleft(msg)
        self.wake_all()

    def wake_all(self) -> None:
        for consumer in self.consumers:
            self.credit(consumer)

    def expire_head(self) -> None:
        """RabbitMQ expires messages once they reach the head of the queue."""
        ready, now = self.ready, self.env.now
        while ready and ready[0].expires <= now:
            self._drop(ready.popleft(), "expired")

    def set_down(self, down: bool) -> None:
        self.down += 1 if down else -1
        if not self.down:
            self.wake_all()

    def crash(self, consumer: Worker) -> None:
        consumer.crash()

    def restart(self, consumer: Worker) -> None:
        consumer.restart()

    def on_tick(self) -> None:
        if self.ttl:
            self.expire_head()


class RabbitMQBroker(QueueBroker):
    """A RabbitMQ queue with its arguments (x-max-length, overflow, x-message-ttl,
    x-delivery-limit)."""

    def __init__(self, system: System) -> None:
        super().__init__(system)
        cfg = system.scenario.broker
        assert cfg.kind == "rabbitmq"
        self.max_length = cfg.max_length
        self.overflow = cfg.overflow
        self.ttl = cfg.message_ttl
        self.delivery_limit = cfg.delivery_limit
