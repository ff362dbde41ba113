"""Bounds that keep every run finite: the time-series bins, the drain limit and the work plan.

*Work* is what costs time and memory in a run: every request (client resends included), every
attempt of a task (retries, redeliveries and duplicate runs included) and every redelivered copy.
Each unit makes a bounded number of SimPy events and record rows, so a bound on work bounds both.

- The time series has a fixed number of bins, chosen before the run: ``ARRIVAL_BINS`` over the
  arrival window, then at most ``DRAIN_BINS`` for the drain (the first half as wide as the
  arrival bins, the rest spread over what is left of the drain limit).
- :func:`work_plan` estimates the work from the scenario alone (arrivals × expected attempts) so a
  run that is certain to be too big is refused before it starts, with the reason; anything the
  estimate cannot foresee (redelivery loops, overload) stops at ``limits.max_events`` with a
  warning, like the overload bound.
- :func:`experiment_plan` adds up the work plans of every run of an experiment (points × modes ×
  replications) so an experiment too big for its bound (``MAX_EXPERIMENT_EVENTS`` from the
  command line, a smaller one in the app) is refused before any run starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sim.capacity import expected_attempts
from sim.schema import Scenario

ARRIVAL_BINS = 500
DRAIN_BINS = 500
SAME_WIDTH_DRAIN_BINS = DRAIN_BINS // 2  # a short drain is drawn as finely as the arrivals
MIN_DRAIN_S = 600.0  # default drain limit: max(10 min, 10 × duration) lets any stable run drain
DRAIN_FACTOR = 10.0


MAX_EXPERIMENT_EVENTS = 200_000_000  # ~2,000 CPU-s at ~100k events/s: half an hour of a core
RUN_OVERHEAD_EVENTS = 2_000  # what setting up and summarising a run costs, in events (~20 ms)


class RunRefused(ValueError):
    """A scenario that is valid but would exceed the work bound; the message says what to change."""


class ExperimentRefused(RunRefused):
    """An experiment whose runs together would exceed its work bound; one line, what to change."""


def drain_limit(scenario: Scenario) -> float:
    """Seconds the run may go on after arrivals stop (``limits.max_drain`` or the default)."""
    limit = scenario.limits.max_drain
    return limit if limit is not None else max(MIN_DRAIN_S, DRAIN_FACTOR * scenario.duration)


def bin_ends(duration: float, drain: float) -> Callable[[int], float | None]:
    """End time of time-series bin ``k`` (1-based), None past the last bin."""
    width = duration / ARRIVAL_BINS
    same = ARRIVAL_BINS + SAME_WIDTH_DRAIN_BINS
    start = same * width
    wide = (duration + drain - start) / (DRAIN_BINS - SAME_WIDTH_DRAIN_BINS)

    def end(k: int) -> float | None:
        if k <= same:
            return k * width
        if wide <= 0 or k > ARRIVAL_BINS + DRAIN_BINS:
            return None
        return start + (k - same) * wide

    return end


def expected_requests(scenario: Scenario) -> float:
    """Mean number of arrivals in ``[0, duration]`` (the profile integrated), capped by
    ``limits.max_requests``."""
    arrivals, end = scenario.arrivals, scenario.duration
    times = [0.0] + [min(s.at, end) for s in arrivals.profile] + [end]
    rates = [arrivals.rate] + [s.rate for s in arrivals.profile]
    total = sum(rate * (b - a) for rate, a, b in zip(rates, times, times[1:], strict=False))
    return min(total, float(scenario.limits.max_requests))


@dataclass(frozen=True)
class WorkPlan:
    """The expected work of a run and its hard bound (``limits.max_events``)."""

    requests: float
    attempts: float
    bound: int

    @property
    def expected(self) -> float:
        return self.requests + self.attempts

    def refusal(self) -> str | None:
        """Why the run should not start (its expected work exceeds the bound), or None."""
        if self.expected <= self.bound:
            return None
        biggest = ("lower task.poison_rate, task.failure_rate or retry.max_retries"
                   if self.attempts > 2 * self.requests else
                   "shorten duration or lower arrivals.rate")
        return (f"this run would take about {_millions(self.expected)} events (requests and "
                f"attempts); the limit is {_millions(self.bound)} (limits.max_events): "
                f"{biggest}")


def _millions(n: float) -> str:
    return f"{n / 1e6:,.1f} million" if n >= 1e6 else f"{n:,.0f}"


def work_plan(scenario: Scenario, mode: str) -> WorkPlan:
    """Expected requests and attempts of a run of ``scenario`` in ``mode``, and its bound."""
    requests = expected_requests(scenario)
    return WorkPlan(requests=requests, attempts=requests * attempts_per_request(scenario),
                    bound=scenario.limits.max_events)


def attempts_per_request(scenario: Scenario) -> float:
    """Expected attempts a request causes: its task's, or with fan-out ``services`` the sum of
    every service's (as if each got every event: an upper estimate)."""
    if not getattr(scenario, "services", None):
        return expected_attempts(scenario)
    return sum(expected_attempts(scenario.model_copy(update={"task": svc.task,
                                                             "retry": svc.retry}))
               for svc in scenario.services)


@dataclass(frozen=True)
class ExperimentPlan:
    """The expected work of every run of an experiment and the bound it must stay under."""

    runs: int
    work: float  # expected requests + attempts, summed over every run
    largest: float  # the expected work of its largest run
    bound: float

    def refusal(self, smaller: str) -> str | None:
        """Why the experiment should not start, naming what to make ``smaller``, or None."""
        if self.work <= self.bound:
            return None
        return (f"this experiment would take about {_millions(self.work)} events "
                f"({self.runs:,} runs, the largest about {_millions(self.largest)}); the limit "
                f"is {_millions(self.bound)}: {smaller}")


def experiment_plan(runs: Iterable[tuple[Scenario, str]], reps: int,
                    bound: float = MAX_EXPERIMENT_EVENTS) -> ExperimentPlan:
    """The work of ``reps`` replications of each ``(scenario, mode)`` (each run also costs
    ``RUN_OVERHEAD_EVENTS``: a grid of many tiny runs is not free); raises
    :class:`RunRefused` (naming the run) when one of them alone is over its own bound."""
    count, work, largest = 0, 0.0, 0.0
    for scenario, mode in runs:
        plan = work_plan(scenario, mode)
        refusal = plan.refusal()
        if refusal:
            raise RunRefused(refusal)
        count += reps
        work += reps * (plan.expected + RUN_OVERHEAD_EVENTS)
        largest = max(largest, plan.expected)
    return ExperimentPlan(count, work, largest, bound)


__all__ = ["ARRIVAL_BINS", "DRAIN_BINS", "MAX_EXPERIMENT_EVENTS", "RUN_OVERHEAD_EVENTS",
           "ExperimentPlan", "ExperimentRefused", "RunRefused", "WorkPlan", "bin_ends",
           "drain_limit", "expected_requests", "experiment_plan", "work_plan"]
