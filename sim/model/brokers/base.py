"""The interface every broker kind implements, and what its consumers must offer.

``System`` talks to its broker only through ``Broker``: it publishes, asks which consumers
a fault may crash, reports outages and ticks, and reads the few facts it needs (extra levels
to record, whether tasks out of retries are dead-lettered). Everything else (queues,
partitions, prefetch, visibility timeouts, offsets) stays inside the broker and its consumers.
To add a broker kind: subclass ``Broker``, register it in ``sim.model.brokers.BROKERS`` and give
its settings a schema class in ``sim.schema`` (see docs/architecture.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sim.model.system import System
    from sim.model.task import Message
    from sim.records import Level
    from sim.scenario import Scenario


class Consumer(Protocol):
    """A consumer a broker delivers to (a Celery worker, a Kafka group member)."""

    index: int
    concurrency: int
    alive: bool
    busy: Level  # busy slots over time (per-consumer utilization)


class Broker(ABC):
    """A broker with its consumers, as seen by ``System``."""

    consumers: Sequence[Consumer]  # faults crash the first ``count`` of them
    # the reason under which a task given up after its retries is dead-lettered; "" if there
    # is no dead-letter destination (the task is then recorded as failed)
    dead_letter_exhausted: str
    publish_retry_window: float  # how long a client retries a publish during an outage, s
    down: int  # > 0 during a broker outage (outages may overlap)
    system: System

    @abstractmethod
    def __init__(self, system: System) -> None: ...

    @classmethod
    def level_names(cls, scenario: Scenario) -> tuple[str, ...]:
        """Levels of its own (beyond ``sim.model.system.LEVELS``) the recorder must keep."""
        return ()

    @abstractmethod
    def publish(self, msg: Message) -> bool:
        """Accept a message (a new task or a retry); False if the broker refused it."""

    def retry(self, msg: Message, delay: float) -> None:
        """Publish a retry of ``msg`` ``delay`` seconds from now (a broker may do it at once,
        with a countdown, as Celery does)."""
        self.system.retry_later(msg, delay, self.publish)

    @abstractmethod
    def crash(self, consumer: Consumer, scope: str = "worker") -> None:
        """A consumer dies (worker_crash fault): the whole worker, or one pool ``child``."""

    @abstractmethod
    def restart(self, consumer: Consumer) -> None:
        """A crashed consumer comes back."""

    @abstractmethod
    def set_down(self, down: bool) -> None:
        """A broker outage starts (True) or ends (False); outages may overlap."""

    @abstractmethod
    def on_tick(self) -> None:
        """Called on every sampling tick (periodic housekeeping such as TTL expiry)."""
