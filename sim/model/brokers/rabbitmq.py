"""A RabbitMQ-like broker: one FIFO queue pushing to consumers with prefetch credit.

Messages go round-robin to consumers with room in their prefetch window; the rest wait in the
queue, in order. Queue arguments as in RabbitMQ: ``max_length`` (ready messages) with
``overflow`` drop-head | reject-publish | reject-publish-dlx, ``message_ttl`` (expired at the
head of the queue), ``delivery_limit`` (quorum queues: too many redeliveries). A message the
queue discards (overflow, expiry, delivery limit) is dead-lettered, keeping its reason, only if a
dead-letter exchange is configured (``dead_letter``); otherwise it is dropped. Publisher
confirms: a rejected publish is reported to the caller.

Unacknowledged messages belong to the consumer's connection: when it closes (the worker or its
machine is gone, or the broker restarts) RabbitMQ puts them back at once, marked redelivered.
A retry is Celery's ``retry(countdown=...)``: a new message published at once with an ETA, which
a worker takes and holds, unacknowledged, until it is due.
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
        cfg = system.scenario.broker
        assert cfg.kind != "kafka"
        self.system = system
        self.env = system.env
        self.ready: deque[Message] = deque()
        self.depth = system.rec.levels["queue_depth"]
        self.waiting = system.rec.levels["retry_waiting"]
        self.max_length = 0
        self.overflow = "drop-head"
        self.ttl = 0.0
        self.delivery_limit = 0
        self.dead_letters = cfg.dead_letter
        self.dead_letter_exhausted = "rejected" if cfg.dead_letter else ""
        self.publish_retry_window = cfg.publish_retry_window
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
                self._discard(self.ready.popleft(), "maxlen")
            else:
                if self.overflow == "reject-publish-dlx" and self.dead_letters:
                    self.system.dead_letter_new(msg, "maxlen")
                return False
        if self.ttl:
            msg.expires = now + self.ttl
        if msg.eta > now:  # a retry with a countdown: waiting for its ETA, not queued work
            self._wait_for_eta(msg)
            msg.enqueued = msg.eta
        else:
            msg.enqueued = now
            self.depth.add(now, 1)
        self._offer(msg)
        return True

    def retry(self, msg: Message, delay: float) -> None:
        """Celery's ``retry(countdown=delay)``: published now with an ETA (a refused publish,
        during an outage, fails the task)."""
        msg.eta = self.env.now + delay
        if not self.publish(msg):
            self.system.publish_refused(msg)

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
        consumer.deliver(Delivery(msg, self.env.now))

    def uncount(self, msg: Message) -> None:
        """The message leaves the level it is counted in (waiting for its ETA, or queued)."""
        if msg.waiting:
            msg.waiting = False
            self.waiting.add(self.env.now, -1)
        else:
            self.depth.add(self.env.now, -1)

    def _wait_for_eta(self, msg: Message) -> None:
        """Count ``msg`` as waiting until its ETA, wherever it is (queue or worker)."""
        now = self.env.now
        msg.waiting = True
        self.waiting.add(now, 1)
        self.env.timeout(msg.eta - now).callbacks.append(lambda _e: self.due(msg))

    def due(self, msg: Message) -> None:
        """A retry's ETA has come: from now on it is queued work."""
        if msg.waiting:
            now = self.env.now
            msg.waiting = False
            self.waiting.add(now, -1)
            self.depth.add(now, 1)

    def _discard(self, msg: Message, reason: str) -> None:
        """The queue throws a message away: dead-lettered with a DLX, else dropped."""
        self.uncount(msg)
        if self.dead_letters:
            self.system.dead_letter(msg, reason)
        else:
            self.system.drop(msg, reason)

    # --- consuming --------------------------------------------------------------------
    def credit(self, consumer: Worker) -> None:
        """A consumer has room again: give it waiting messages (expired ones are discarded)."""
        ready = self.ready
        while ready and consumer.has_credit() and not self.down:
            msg = ready.popleft()
            if msg.expires <= self.env.now:
                self._discard(msg, "expired")
                continue
            self._hand(consumer, msg)

    def acked(self, consumer: Worker, delivery: Delivery) -> None:
        """A consumer acknowledged a delivery."""
        delivery.released = True

    def requeue(self, delivery: Delivery) -> None:
        """An unacknowledged message comes back at the head of the queue (its connection
        closed, or it was rejected with requeue). The message is counted where it waits."""
        delivery.released = True
        msg = delivery.msg
        if delivery.stale:  # already made visible again: this copy just ends
            self.uncount(msg)
            self.system.gone()
            return
        msg.deliveries += 1
        self.system.redelivered(msg)
        if self.delivery_limit and msg.deliveries > self.delivery_limit:
            self._discard(msg, "delivery_limit")
            return
        self.ready.appendleft(msg)
        self.wake_all()

    def connection_lost(self, delivery: Delivery) -> None:
        """The connection a delivery came on is gone and its consumer no longer holds it:
        RabbitMQ requeues it at once."""
        self.requeue(delivery)

    def lost_ack(self, delivery: Delivery) -> None:
        """The connection closed while the consumer still runs the task (acks_late): the
        broker requeues the message now and the running copy's ack will go nowhere."""
        if delivery.stale:
            return
        delivery.stale = True
        delivery.released = True
        self.system.redelivered(delivery.msg, copy=True)
        twin = delivery.msg.copy()
        twin.services = self.system.redelivery_sizes.draw()[0]  # a new run takes its own time
        twin.deliveries += 1
        twin.enqueued = max(self.env.now, twin.eta)  # it waits in the queue from now on
        self.depth.add(self.env.now, 1)
        self.ready.appendleft(twin)

    def wake_all(self) -> None:
        for consumer in self.consumers:
            self.credit(consumer)

    def expire_head(self) -> None:
        """RabbitMQ expires messages once they reach the head of the queue."""
        ready, now = self.ready, self.env.now
        while ready and ready[0].expires <= now:
            self._discard(ready.popleft(), "expired")

    def set_down(self, down: bool) -> None:
        """During an outage every connection is closed: unacknowledged messages go back (see
        ``connection_lost``), running tasks go on; publishes are refused."""
        self.down += 1 if down else -1
        if down and self.down == 1:
            for consumer in self.consumers:
                consumer.connection_closed()
        if not self.down:
            self.wake_all()

    def crash(self, consumer: Worker, scope: str = "worker") -> None:
        if scope == "child":
            consumer.kill_child()
        else:
            consumer.crash()

    def restart(self, consumer: Worker) -> None:
        consumer.restart()

    def restarted(self, consumer: Worker) -> None:
        """A worker is back and connected: it takes messages again."""
        self.credit(consumer)

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
