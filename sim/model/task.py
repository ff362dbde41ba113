"""The background task: its message, its size and whether each attempt fails.

Every task's sizes are drawn when its request *arrives*, from streams named per attempt
(``task_service/0``, ``task_failure/0``, ...), so a sync run and an async run with the same seed
give request *i* the same task, whatever order the workers happen to run them in. A poison task
(``task.poison_rate``) fails every attempt. A user's resent request (client retry) draws a
fresh task from streams of its own, so resends never shift the original traffic. For Kafka each
task also gets a message key.
"""

from __future__ import annotations

import functools

import numpy as np

from sim.rng import Draws, Streams, draw_fn
from sim.scenario import Scenario

NEVER = 1 << 30  # first_ok of a task whose every attempt fails


class Message:
    """One task's message: which request it belongs to and how its attempts go."""

    __slots__ = (
        "attempt",
        "deadline",
        "deliveries",
        "enqueued",
        "eta",
        "expires",
        "first_ok",
        "key",
        "previous_delay",
        "request",
        "services",
        "task",
        "waiting",
    )

    def __init__(self, task: int, request: int, sizes: tuple, base_delay: float) -> None:
        self.task = task
        self.request = request
        self.attempt = 0  # 0-based index of the attempt to run next
        self.services, self.first_ok, self.key = sizes
        self.enqueued = 0.0
        self.expires = float("inf")  # the broker's message TTL
        self.deadline = float("inf")  # the work is no longer wanted (arrivals.deadline, expires)
        self.previous_delay = base_delay
        self.deliveries = 0  # redeliveries so far
        self.eta = 0.0  # a retry's countdown ends then (Celery ETA); 0 = run when delivered
        self.waiting = False  # counted as waiting for its ETA (not in the queue depth)

    def service_time(self) -> float:
        return self.services[min(self.attempt, len(self.services) - 1)]

    def succeeds(self) -> bool:
        return self.attempt >= self.first_ok

    def copy(self) -> Message:
        twin = Message.__new__(Message)
        for name in Message.__slots__:
            setattr(twin, name, getattr(self, name))
        return twin


class Delivery:
    """One hand-over of a message to a consumer (a delivery tag)."""

    __slots__ = ("acked", "attempt_row", "channel", "delivered", "killed", "msg", "ready",
                 "released", "stale")

    def __init__(self, msg: Message, delivered: float = 0.0) -> None:
        self.msg = msg
        self.delivered = delivered  # when the broker handed it over
        self.acked = False
        self.killed = False  # its consumer is done with it (crashed, or killed the attempt)
        self.stale = False  # the broker gave the message to someone else meanwhile
        self.released = False  # the broker no longer holds it as unacknowledged
        self.channel = 0  # the consumer's connection it came on (see Worker.channel)
        self.attempt_row = -1
        self.ready = 0.0  # when it has reached the worker and can start (dispatch delay)


class TaskSizes:
    """Draws (service time per attempt, first successful attempt, key) for each new task."""

    def __init__(self, scenario: Scenario, streams: Streams, prefix: str = "") -> None:
        spec, rate = scenario.task.service, scenario.task.failure_rate
        self.failure_rate = rate
        tries = scenario.retry.max_retries + 1
        self.tries = tries
        self._service = [draw_fn(streams, f"{prefix}task_service/{a}", spec)
                         for a in range(tries)]
        self._failure: list[Draws] = (
            [streams.uniforms(f"{prefix}task_failure/{a}") for a in range(tries)]
            if rate > 0 else []
        )
        self.poison_rate = scenario.task.poison_rate
        self._poison = (streams.uniforms(f"{prefix}task_poison") if self.poison_rate > 0
                        else None)
        self._key = key_draws(scenario, streams, prefix)

    def draw(self) -> tuple[tuple[float, ...], int, int]:
        services = tuple(d() for d in self._service)
        first_ok = 0 if not self._failure else self.tries
        for a, d in enumerate(self._failure):
            if d.next() >= self.failure_rate and first_ok == self.tries:
                first_ok = a
        if self._poison is not None and self._poison.next() < self.poison_rate:
            first_ok = NEVER
        key = int(self._key.next()) if self._key is not None else 0
        return services, first_ok, key


@functools.lru_cache(maxsize=4)
def _key_cdf(keys: int, skew: float) -> np.ndarray:
    """Cumulative Zipf(``skew``) weights of ``keys`` keys (shared by a run's three streams)."""
    weights = 1.0 / np.arange(1, keys + 1, dtype=float) ** skew
    return np.cumsum(weights / weights.sum())


def key_draws(scenario: Scenario, streams: Streams, prefix: str) -> Draws | None:
    """Message keys for Kafka: uniform over ``keys``, or Zipf-skewed by ``key_skew``."""
    broker = scenario.broker
    if broker.kind != "kafka":
        return None
    cdf = _key_cdf(broker.keys, broker.key_skew)
    return streams.draws(f"{prefix}message_keys",
                         lambda rng, n: np.minimum(np.searchsorted(cdf, rng.random(n)),
                                                   broker.keys - 1).astype(float))
