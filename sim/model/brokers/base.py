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
    dead_letter_exhausted: bool  # tasks out of retries are dead-lettered (not just failed)

    @abstractmethod
    def __init__(self, system: System) -> None: ...

    @classmethod
    def level_names(cls, scenario: Scenario) -> tuple[str, ...]:
        """Levels of its own (beyond ``sim.model.system.LEVELS``) the recorder must keep."""
        return ()

    @abstractmethod
    def publish(self, msg: Message) -> bool:
        """Accept a message (a new task or a retry); False if the broker refused it."""

    @abstractmethod
    def crash(self, consumer: Consumer) -> None:
        """A consumer dies (worker_crash fault)."""

    @abstractmethod
    def restart(self, consumer: Consumer) -> None:
        """A crashed consumer comes back."""

    @abstractmethod
    def set_down(self, down: bool) -> None:
        """A broker outage starts (True) or ends (False); outages may overlap."""

    @abstractmethod
    def on_tick(self) -> None:
        """Called on every sampling tick (periodic housekeeping such as TTL expiry)."""
