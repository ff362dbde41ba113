"""Redis as Celery's broker: a list queue plus a visibility timeout.

A message that a worker has taken but not acknowledged within ``visibility_timeout`` seconds is
put back and delivered again, possibly to another worker, while the first may still be running
it: with tasks longer than the timeout (and ``acks_late``) the same task runs twice.
"""

from __future__ import annotations

from sim.model.brokers.rabbitmq import QueueBroker
from sim.model.task import Delivery, Message
from sim.model.workers import Worker


class RedisBroker(QueueBroker):
    """Queue broker with Kombu's Redis-transport visibility timeout."""

    def _hand(self, consumer: Worker, msg: Message) -> None:
        delivery = Delivery(msg)
        timeout = self.system.scenario.broker.visibility_timeout
        self.env.timeout(timeout).callbacks.append(lambda _e: self._restore(delivery))
        consumer.deliver(delivery)

    def _restore(self, delivery: Delivery) -> None:
        """Still unacknowledged after the visibility timeout: make it visible again."""
        if delivery.acked or delivery.killed or delivery.stale:
            return
        delivery.stale = True
        twin = delivery.msg.copy()
        twin.services = self.system.redelivery_sizes.draw()[0]  # a new run takes its own time
        twin.deliveries += 1
        self.system.redelivered(twin, copy=True)
        self.depth.add(self.env.now, 1)
        self.ready.appendleft(twin)
        self.wake_all()
