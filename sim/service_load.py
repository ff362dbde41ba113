"""Offered load of a fan-out run's tiers, from the scenario alone: the web tier, and each
service's workers at the share of the events that reach it.

In async mode a request costs the web tier its handler and one publish, however many services
get the event. In sync mode the handler calls every service the event reaches, one after the
other, so a request holds its thread for the sum of their task times (retries and back-off
included).
"""

from __future__ import annotations

from sim.capacity import expected_attempts, expected_backoff, worker_capacity
from sim.dists import mean_of
from sim.model.events import routes
from sim.model.services import lane_scenario
from sim.schema import Scenario


def event_shares(scenario: Scenario) -> list[float]:
    """The share of the events each service gets a copy of."""
    kinds = [e.share for e in scenario.arrivals.events] or [1.0]
    shares = [0.0] * len(scenario.services)
    for share, reached in zip(kinds, routes(scenario), strict=True):
        for i in reached:
            shares[i] += share
    return shares


def tier_names(scenario: Scenario) -> dict[str, str]:
    """Readable names of each service's tier, for the warnings."""
    return {f"workers:{s.name}": f"{s.name} workers" for s in scenario.services}


def fanout_load(scenario: Scenario, mode: str, rate: float | None = None) -> dict[str, float]:
    """Offered load of the web tier and of each service's workers (``workers:<name>``)."""
    rate = scenario.arrivals.rate if rate is None else rate
    lanes = [lane_scenario(scenario, s) for s in scenario.services]
    shares = event_shares(scenario)
    handler = mean_of(scenario.web.service)
    if mode == "sync":
        inline = sum(share * (mean_of(lane.task.service) * expected_attempts(lane)
                              + expected_backoff(lane)) for lane, share in zip(lanes, shares,
                                                                               strict=True))
        return {"web": rate * (handler + inline) / scenario.web.workers}
    load = {"web": rate * (handler + mean_of(scenario.web.publish)) / scenario.web.workers}
    for service, lane, share in zip(scenario.services, lanes, shares, strict=True):
        load[f"workers:{service.name}"] = (rate * share * expected_attempts(lane)
                                           / worker_capacity(lane))
    return load
