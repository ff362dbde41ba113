"""The background task: its message, its size and whether each attempt fails.

Every task's sizes are drawn when its request *arrives*, from streams named per attempt
(``task_service/0``, ``task_failure/0``, ...), so a sync run and an async run with the same seed
give request *i* the same task, whatever order the workers happen to run them in.
"""

from __future__ import annotations

from sim.dists import sample
from sim.rng import Draws, Streams
from sim.scenario import Scenario


class Message:
    """One task in the broker: which request it belongs to and how its attempts go."""

    __slots__ = (
        "attempt",
        "enqueued",
        "first_ok",
        "previous_delay",
        "redelivered",
        "request",
        "services",
        "task",
    )

    def __init__(self, task: int, request: int, services: tuple[float, ...], first_ok: int,
                 base_delay: float) -> None:
        self.task = task
        self.request = request
        self.attempt = 0  # 0-based index of the attempt to run next
        self.services = services
        self.first_ok = first_ok  # index of the first attempt that succeeds
        self.enqueued = 0.0
        self.previous_delay = base_delay
        self.redelivered = False

    def service_time(self) -> float:
        return self.services[min(self.attempt, len(self.services) - 1)]

    def succeeds(self) -> bool:
        return self.attempt >= self.first_ok


class TaskSizes:
    """Draws (service time per attempt, first successful attempt) for each new task."""

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        spec, rate = scenario.task.service, scenario.task.failure_rate
        self.failure_rate = rate
        tries = scenario.retry.max_retries + 1
        self.tries = tries
        n_service = tries if rate > 0 else 1
        self._service: list[Draws] = [
            streams.draws(f"task_service/{a}", lambda rng, n: sample(spec, rng, n))
            for a in range(n_service)
        ]
        self._failure: list[Draws] = (
            [streams.uniforms(f"task_failure/{a}") for a in range(tries)] if rate > 0 else []
        )

    def draw(self) -> tuple[tuple[float, ...], int]:
        services = tuple(d.next() for d in self._service)
        first_ok = self.tries
        for a, d in enumerate(self._failure):
            if d.next() >= self.failure_rate and first_ok == self.tries:
                first_ok = a
        if not self._failure:
            first_ok = 0
        return services, first_ok
