"""The events a fan-out run publishes: what each request's event is, and where it goes.

Each kind of event (``arrivals.events``) has a routing key and a share of the requests; the
exchange (``broker.exchange``) decides once per kind which services' queues get a copy, and on
Kafka every consumer group reads every event.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from sim.model.routing import Exchange, binding_keys
from sim.model.task import TaskSizes, key_draws
from sim.rng import Streams
from sim.schema import Scenario


class EventDraws:
    """What each arriving request publishes: the event's kind (its routing key), its message key
    (Kafka: one key, so one partition, for every group) and, for every service, the task this
    event means to it. Every service's task is drawn from the service's own streams at every
    arrival, whether or not it gets the event, so a binding or a share never shifts another
    service's traffic (common random numbers)."""

    def __init__(self, scenario: Scenario, lanes: Sequence[Any], streams: Streams,
                 prefix_: str = "") -> None:
        shares = [event.share for event in scenario.arrivals.events]
        self.cdf = list(accumulate(shares))[:-1]
        self.kind = streams.uniforms(f"{prefix_}event_kind") if len(shares) > 1 else None
        self.sizes = [TaskSizes(lane.scenario, streams, prefix=f"{prefix_}svc/{lane.name}/")
                      for lane in lanes]
        self.key = key_draws(scenario, streams, prefix_)

    def draw(self) -> tuple[int, tuple[tuple, ...]]:
        kind = 0 if self.kind is None else bisect_right(self.cdf, self.kind.next())
        key = int(self.key.next()) if self.key is not None else 0
        return kind, tuple((services, first_ok, key)
                           for services, first_ok, _own in (s.draw() for s in self.sizes))


def routing_keys(scenario: Scenario) -> list[str]:
    """The routing key of each kind of event (the empty key when none are given)."""
    return [event.routing_key for event in scenario.arrivals.events] or [""]


def routes(scenario: Scenario) -> list[tuple[int, ...]]:
    """For each kind of event, the services that get a copy (every group on Kafka)."""
    every = tuple(range(len(scenario.services)))
    if scenario.broker.kind == "kafka":
        return [every for _ in routing_keys(scenario)]
    exchange = Exchange(scenario.broker.exchange.type,
                        [binding_keys(s.routing_key) for s in scenario.services])
    return [exchange.route(key) for key in routing_keys(scenario)]


__all__ = ["EventDraws", "routes", "routing_keys"]
