"""Clients: open-loop Poisson arrivals for ``duration`` seconds.

Every request's random sizes (handler time, publish time, task sizes) are drawn at arrival, in
arrival order, so the same seed gives the same traffic whatever the system does with it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from sim.dists import sample

if TYPE_CHECKING:
    from sim.model.system import System


def poisson_arrivals(system: System) -> Generator:
    """Generate requests until ``duration``; stop early if the system hits its bound."""
    env, scenario, streams = system.env, system.scenario, system.streams
    mean_gap = 1.0 / scenario.arrivals.rate
    gap = streams.draws("arrivals", lambda rng, n: rng.exponential(mean_gap, n)).next
    web = streams.draws("web_service", lambda rng, n: sample(scenario.web.service, rng, n)).next
    pub = streams.draws("web_publish", lambda rng, n: sample(scenario.web.publish, rng, n)).next
    sizes = system.task_sizes.draw
    handler = system.handler
    is_async = system.mode == "async"
    end = scenario.duration
    limit = scenario.limits.max_in_system
    while True:
        yield env.timeout(gap())
        if env.now > end:
            break
        web_time = web() + pub() if is_async else web()
        if system.in_system >= limit:
            system.overloaded(env.now)
            return
        rid = system.rec.new_request(env.now)
        system.in_system += 1
        env.process(handler(system, rid, web_time, sizes()))
    system.arrivals_done()
