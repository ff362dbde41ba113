"""What queueing theory predicts for a scenario's queueing tier, and what the formula ignores.

The tier that queues is the web threads in sync mode and the worker slots in async mode. Each is
treated as an M/G/c queue: Poisson arrivals, ``c`` servers, one FIFO queue, and a *holding time*
whose mean and variance come from the scenario:

- sync: a web thread holds a request for the handler's work, every attempt of the task and every
  back-off wait between attempts (drawn with the jitter kind's distribution);
- async: a worker slot holds each attempt (with the measured overheads: ``task_overhead``
  after it, and the fetch of the next message with ``acks_late`` and prefetch 1); retried
  attempts arrive again (rate × mean attempts). A ``dispatch_delay`` is added to the wait
  (exact for a task that finds a slot free; prefetching hides part of it from the others).

The mean wait is the two-moment approximation Wq ≈ φ × Wq(M/M/c) × (1 + SCV) / 2 (Lee and
Longton 1959; Allen and Cunneen, see A. O. Allen 1990; the correction φ is W. Whitt's,
"Approximations for the GI/G/m queue", 1993), with SCV = variance / mean² of the holding time:
exact for c = 1 (Pollaczek-Khinchine) and for exponential holding times (Erlang C).

Effects of the model that the formula does not know about are named in plain words in ``note``.
Some only bend the result (``queue_wait_s`` is still given, as a yardstick); others break the
formula's assumptions (then ``queue_wait_s`` is None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.capacity import expected_attempts, slot_parts
from sim.dists import cv_of, mean_of
from sim.model.retry import ceiling
from sim.scenario import Retry, Scenario
from sim.theory import UnstableQueueError, mgc_whitt

DECORRELATED_SAMPLES = 20_000  # back-off sequences drawn to get decorrelated jitter's moments


@dataclass(frozen=True)
class Moments:
    """Mean and variance of a time (seconds, seconds²)."""

    mean: float
    var: float

    @property
    def scv(self) -> float:
        """Squared coefficient of variation, variance / mean² (0 for a zero mean)."""
        if self.mean <= 0:
            return 0.0
        cv = math.sqrt(self.var) / self.mean  # not var / mean²: that underflows for tiny times
        return cv * cv

    def __add__(self, other: Moments) -> Moments:  # independent parts add up
        return Moments(self.mean + other.mean, self.var + other.var)


def moments_of(spec) -> Moments:
    mean = mean_of(spec)
    return Moments(mean, (cv_of(spec) * mean) ** 2)


# --- back-off waits ---------------------------------------------------------------------------

def _jitter_moments(jitter: str, d: float) -> Moments:
    """One wait whose un-jittered ceiling is ``d`` (Brooker 2015): none, full, equal."""
    return {"none": Moments(d, 0.0), "full": Moments(d / 2, d * d / 12),
            "equal": Moments(0.75 * d, d * d / 48)}[jitter]


def backoff_totals(policy: Retry) -> list[Moments]:
    """Moments of the total back-off wait of a task that makes k + 1 attempts, k = 0..max."""
    if policy.jitter == "decorrelated" and policy.backoff != "none":
        rng = np.random.default_rng(20150304)  # fixed: the same scenario, the same prediction
        previous = np.full(DECORRELATED_SAMPLES, policy.base)
        total, totals = np.zeros(DECORRELATED_SAMPLES), [Moments(0.0, 0.0)]
        for _ in range(policy.max_retries):  # as sim.model.retry._decorrelated, vectorised
            high = np.maximum(policy.base, 3 * previous)
            previous = np.minimum(policy.cap, policy.base + (high - policy.base)
                                  * rng.random(DECORRELATED_SAMPLES))
            total = total + previous
            totals.append(Moments(float(total.mean()), float(total.var())))
        return totals
    jitter = "none" if policy.jitter == "decorrelated" else policy.jitter
    totals, total = [Moments(0.0, 0.0)], Moments(0.0, 0.0)
    for n in range(policy.max_retries):
        total = total + _jitter_moments(jitter, ceiling(policy, n))
        totals.append(total)
    return totals


def attempts_distribution(scenario: Scenario) -> list[float]:
    """P(a task makes k + 1 attempts), k = 0..max_retries (poison tasks use them all)."""
    f, tries = scenario.task.failure_rate, scenario.retry.max_retries + 1
    poison = scenario.task.poison_rate
    probs = [(1 - poison) * f**k * (1 - f) for k in range(tries - 1)]
    probs.append((1 - poison) * f ** (tries - 1) + poison)
    return probs


# --- holding times ----------------------------------------------------------------------------

def _mixture(parts: list[tuple[float, Moments]]) -> Moments:
    mean = sum(p * m.mean for p, m in parts)
    second = sum(p * (m.var + m.mean**2) for p, m in parts)
    return Moments(mean, max(0.0, second - mean**2))


def holding_time(scenario: Scenario, mode: str) -> Moments:
    """How long one server is held per arrival at the queue: a web thread per request (sync),
    a worker slot per attempt (async)."""
    task = moments_of(scenario.task.service)
    if mode != "sync":
        return sum((moments_of(part) for part in slot_parts(scenario)), Moments(0.0, 0.0))
    handler = moments_of(scenario.web.service)
    waits = backoff_totals(scenario.retry)
    parts = [(p, handler + Moments(task.mean * (k + 1), task.var * (k + 1)) + waits[k])
             for k, p in enumerate(attempts_distribution(scenario))]
    return _mixture(parts)


# --- effects the formula ignores --------------------------------------------------------------

def _effects(scenario: Scenario, mode: str) -> tuple[list[str], list[str]]:
    """(effects that break the formula, effects that only bend it), in plain words."""
    arrivals, down, workers, broker = (scenario.arrivals, scenario.downstream, scenario.workers,
                                       scenario.broker)
    faults = [f for f in scenario.faults
              if mode == "async" or f.kind.startswith("downstream")]
    queue_broker = mode == "async" and broker.kind != "kafka"  # Celery worker settings apply
    breaks = [
        (bool(scenario.services), "each event goes to several services, each with its own "
                                  "workers (see services.<name>)"),
        (bool(arrivals.profile), "the arrival rate changes over time"),
        (bool(faults), "faults interrupt the service"),
        (bool(arrivals.client_retries and scenario.web.timeout),
         "users who give up send their request again, adding load"),
        (bool(down.capacity), f"the downstream service takes at most {down.capacity} calls at "
                              f"once, so calls also queue there"),
        (queue_broker and workers.rate_per_second() is not None,
         "a rate limit spaces the task starts"),
        (mode == "async" and broker.kind == "kafka",
         "each Kafka partition is its own queue, served one message at a time and in order"),
    ]
    several = workers.count > 1
    bends = [
        (queue_broker and several and not workers.acks_late,
         "an early-ack worker reserves a message while its slots are busy, so waits run above "
         "M/G/c"),
        (queue_broker and several and workers.prefetch_multiplier > 1,
         f"each worker reserves up to {workers.prefetch_multiplier * workers.concurrency} "
         f"messages (prefetch), so waits run above M/G/c"),
        (bool(down.timeout), "callers give up on slow downstream calls, which cuts attempts "
                             "short"),
        (queue_broker and any(x is not None for x in (workers.soft_time_limit,
                                                      workers.time_limit)),
         "time limits cut long attempts short"),
        (queue_broker and getattr(broker, "max_length", 0) > 0, "the queue has a maximum "
                                                                  "length and drops messages"),
        (queue_broker and getattr(broker, "message_ttl", 0) > 0, "messages expire in the queue"),
        (queue_broker and broker.kind == "redis"
         and broker.visibility_timeout < 10 * mean_of(scenario.task.service),
         "tasks longer than the visibility timeout run twice"),
    ]
    return [t for hit, t in breaks if hit], [t for hit, t in bends if hit]


# --- the prediction ---------------------------------------------------------------------------

def servers(scenario: Scenario, mode: str) -> int:
    if mode == "sync":
        return scenario.web.workers
    return scenario.workers.count * scenario.workers.concurrency


def prediction(scenario: Scenario, mode: str) -> dict[str, object]:
    """The theory of the queueing tier: ``model``, ``queue_wait_s`` (None when no formula fits
    or the queue is unstable), ``applies``, ``note`` (plain words), and the inputs used:
    ``rho``, ``lq``, ``servers``, ``holding_mean_s``, ``holding_scv``."""
    hold = holding_time(scenario, mode)
    c = servers(scenario, mode)
    lam = scenario.arrivals.rate * (1.0 if mode == "sync" else expected_attempts(scenario))
    scv = hold.scv
    model = "M/M/c" if abs(scv - 1) < 1e-9 else "M/G/c approx"
    where = "web threads" if mode == "sync" else "worker slots"
    held = ("a request (handler, every attempt and every back-off wait)" if mode == "sync"
            else "an attempt")
    dispatch = dispatch_delay(scenario, mode)
    base = {"model": model, "servers": c, "holding_mean_s": hold.mean, "holding_scv": scv,
            "rho": lam * hold.mean / c}
    breaks, bends = _effects(scenario, mode)
    if hold.mean <= 0:
        return {**base, "queue_wait_s": dispatch, "lq": 0.0, "applies": not (breaks or bends),
                "note": "no holding time: nobody waits"}
    try:
        wq = mgc_whitt(lam, hold.mean, math.sqrt(scv), c).wq + dispatch
    except (UnstableQueueError, ValueError, OverflowError, ZeroDivisionError):  # or degenerate
        return {**base, "queue_wait_s": None, "lq": None, "applies": False,
                "note": f"unstable: the {where} are offered {base['rho']:.2f}× what they can "
                        f"do (ρ ≥ 1), so the queue grows without bound and has no steady state"}
    fits = (f"{model}, c={c} {where}, each holding {held} for {hold.mean:.3g} s on average "
            f"(SCV {scv:.2f})" + (f", plus a dispatch delay of {dispatch:.3g} s before each "
                                  f"start" if dispatch else ""))
    if breaks:
        return {**base, "queue_wait_s": None, "lq": None, "applies": False,
                "note": f"no formula: {'; '.join(breaks + bends)}"}
    if bends:
        return {**base, "queue_wait_s": wq, "lq": lam * wq, "applies": False,
                "note": f"{fits}; it ignores that {'; '.join(bends)}"}
    return {**base, "queue_wait_s": wq, "lq": lam * wq, "applies": True, "note": fits}


def dispatch_delay(scenario: Scenario, mode: str) -> float:
    """Mean time from publish until an idle worker starts a task (queue brokers only)."""
    broker = scenario.broker
    return mean_of(broker.dispatch_delay) if mode == "async" and broker.kind != "kafka" else 0.0


SUMMARY_KEYS = ("model", "queue_wait_s", "applies", "note")


def theory_summary(scenario: Scenario, mode: str) -> dict[str, object]:
    """The summary's ``theory`` section: model, queue_wait_s, applies, note."""
    found = prediction(scenario, mode)
    return {key: found[key] for key in SUMMARY_KEYS}


__all__ = ["Moments", "attempts_distribution", "backoff_totals", "holding_time", "prediction",
           "theory_summary"]
