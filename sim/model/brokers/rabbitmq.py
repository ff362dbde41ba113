"""A RabbitMQ-like broker: one FIFO queue pushing to consumers with prefetch credit.

Messages go round-robin to consumers that have room in their prefetch window; what no consumer
can take waits in the queue, in order.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from sim.model.task import Message

if TYPE_CHECKING:
    from sim.model.system import System
    from sim.model.workers import Worker


class QueueBroker:
    """A single queue with push delivery (basic.consume with basic.qos prefetch)."""

    def __init__(self, system: System) -> None:
        self.env = system.env
        self.ready: deque[Message] = deque()
        self.consumers: list[Worker] = []
        self.depth = system.rec.levels["queue_depth"]
        self._next = 0

    def attach(self, consumers: list[Worker]) -> None:
        self.consumers = consumers

    def publish(self, msg: Message) -> None:
        msg.enqueued = self.env.now
        self.depth.add(self.env.now, 1)
        consumers = self.consumers
        n = len(consumers)
        for k in range(n):
            i = (self._next + k) % n
            if consumers[i].has_credit():
                self._next = (i + 1) % n
                consumers[i].deliver(msg)
                return
        self.ready.append(msg)

    def credit(self, consumer: Worker) -> None:
        """A consumer has room again: give it waiting messages."""
        ready = self.ready
        while ready and consumer.has_credit():
            consumer.deliver(ready.popleft())

    def waiting(self) -> int:
        return len(self.ready)
