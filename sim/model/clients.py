"""Clients: open-loop Poisson arrivals for ``duration`` seconds, and users who try again.

The arrival rate is ``arrivals.rate``, or piecewise constant with ``arrivals.profile`` steps (a
non-homogeneous Poisson process, by inverting the cumulative rate), or replayed from given
arrival times (a recorded trace; see ``sim.runner.run``). Every request's random sizes
are drawn at arrival, in arrival order, so the same seed gives the same traffic whatever the
system does with it. With ``web.timeout`` and ``client_retries``, a user who gave up sends the
same request again after ``client_retry_delay``: the same work arrives twice.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Generator
from typing import TYPE_CHECKING

from sim.rng import draw_fn
from sim.schema import Arrivals

if TYPE_CHECKING:
    from sim.model.system import System


class Profile:
    """The arrival rate as a step function: ``times[i]`` is where ``rates[i + 1]`` starts
    (looked up by bisection: a long profile costs log(steps) per arrival)."""

    __slots__ = ("rates", "times")

    def __init__(self, arrivals: Arrivals) -> None:
        self.times = [s.at for s in arrivals.profile]
        self.rates = [arrivals.rate] + [s.rate for s in arrivals.profile]


def next_arrival(arrivals: Arrivals | Profile, t: float, unit: float) -> float:
    """The time after ``t`` at which the cumulative rate has grown by ``unit`` (an Exp(1))."""
    profile = arrivals if isinstance(arrivals, Profile) else Profile(arrivals)
    times, rates = profile.times, profile.rates
    if not times:
        return t + unit / rates[0]
    i = bisect.bisect_right(times, t)  # rates[i] applies from times[i - 1] on
    while True:
        rate = rates[i]
        boundary = times[i] if i < len(times) else math.inf
        if rate > 0 and t + unit / rate <= boundary:
            return t + unit / rate
        if boundary == math.inf:
            return math.inf
        unit -= rate * (boundary - t)
        t = boundary
        i += 1


def poisson_arrivals(system: System) -> Generator:
    """Generate requests until ``duration``; stop early if the system hits its bound."""
    env, scenario, streams = system.env, system.scenario, system.streams
    unit = streams.draws("arrivals", lambda rng, n: rng.standard_exponential(n)).next
    web = draw_fn(streams, "web_service", scenario.web.service)
    pub = draw_fn(streams, "web_publish", scenario.web.publish)
    sizes = system.task_sizes.draw
    is_async = system.mode == "async"
    end, limit, arrivals = scenario.duration, scenario.limits.max_in_system, scenario.arrivals
    max_requests = scenario.limits.max_requests
    patient = scenario.web.timeout is None or not arrivals.client_retries
    profile = Profile(arrivals)
    replay = iter(system.arrival_times) if system.arrival_times is not None else None
    while True:
        at = (next_arrival(profile, env.now, unit()) if replay is None
              else max(env.now, next(replay, math.inf)))
        if at > end:
            break
        yield env.timeout(at - env.now)
        web_time = web() + pub() if is_async else web()
        if system.in_system >= limit:
            system.overloaded(env.now)
            return
        request = (web_time, sizes())
        rid = send(system, request)
        if not patient:
            watch(system, rid, request, arrivals.client_retries)
        if len(system.rec.req_arrival) >= max_requests:  # stop now, not at a refused arrival
            if next_arrival(profile, env.now, unit()) <= end:
                system.too_many_requests(env.now)
                return
            break
    system.arrivals_done()


def send(system: System, request: tuple, retry: bool = False) -> int:
    rid = system.rec.new_request(system.env.now, retry)
    system.in_system += 1
    system.handler(system, rid, *request)
    return rid


def watch(system: System, rid: int, request: tuple, tries_left: int) -> None:
    """When the user's patience runs out, they send the same request again (if tries left)."""
    env, scenario = system.env, system.scenario
    system.in_system += 1  # a user who may come back keeps the run going

    def give_up(_event: object) -> None:
        rec = system.rec
        if rec.req_end[rid] == rec.req_end[rid] or tries_left == 0:  # answered, or done trying
            system.gone()
            return
        env.timeout(scenario.arrivals.client_retry_delay).callbacks.append(resend)

    def resend(_event: object) -> None:
        fresh = (request[0], resent_sizes(system, request[1]))  # same handler work, new call
        again = send(system, fresh, retry=True)
        watch(system, again, fresh, tries_left - 1)
        system.gone()

    env.timeout(scenario.web.timeout).callbacks.append(give_up)


def resent_sizes(system: System, original: tuple) -> tuple:
    """Fresh task sizes for a resent request; with services, the same kind of event."""
    fresh = system.resend_sizes.draw()
    return fresh if system.services is None else (original[0], fresh[1])


def start_clients(system: System) -> None:
    system.env.process(poisson_arrivals(system))
