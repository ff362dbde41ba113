"""Closed-form queueing results used as a yardstick for the simulator.

Models single-station queues with Poisson arrivals (rate ``lam`` per second) and one or
more identical servers fed from a single FIFO queue of unlimited size:

* M/M/1 and M/M/c (exponential service) -- exact, via the Erlang C formula.
* M/D/1 (deterministic service) and M/G/1 (general service, given its mean and coefficient
  of variation) -- exact, via the Pollaczek-Khinchine mean-value formula.
* M/G/c -- the Allen-Cunneen *approximation* (not exact), and Whitt's refinement of it.
* Little's law, L = lambda * W, links mean numbers to mean times.

Rates are per second and times are in seconds. Every result is a steady-state mean, so it
only exists while the per-server utilization rho is below 1; otherwise
:class:`UnstableQueueError` is raised.

Sources: L. Kleinrock, "Queueing Systems, Vol. 1: Theory" (1975), ch. 3 and 5;
D. Gross, C. M. Harris et al., "Fundamentals of Queueing Theory" (4th ed., 2008), ch. 2-3 and
6; A. K. Erlang (1917) for the Erlang B/C formulas; A. O. Allen, "Probability, Statistics,
and Queueing Theory" (2nd ed., 1990) for the Allen-Cunneen approximation; W. Whitt,
"Approximations for the GI/G/m queue", Production and Operations Management 2(2), 1993, for its
refinement (which builds on G. Cosmetatos' 1976 correction for M/D/c).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

__all__ = [
    "QueueMetrics",
    "UnstableQueueError",
    "erlang_c",
    "littles_law_l",
    "md1",
    "mg1",
    "mgc_approx",
    "mgc_whitt",
    "mm1",
    "mmc",
    "utilization",
]


class UnstableQueueError(ValueError):
    """The offered load reaches or exceeds capacity (rho >= 1): no steady state exists."""


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state means of one queueing station.

    rho: per-server utilization; p_wait: probability an arrival has to wait;
    wq: mean wait in queue (s); w: mean time in system (s);
    lq: mean number waiting; l: mean number in system (both by Little's law).
    """

    rho: float
    p_wait: float
    wq: float
    w: float
    lq: float
    l: float


def _positive(name: str, value: float) -> float:
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _cv(cv: float) -> float:
    number = isinstance(cv, numbers.Real) and not isinstance(cv, bool)
    if not (number and math.isfinite(cv) and cv >= 0):
        raise ValueError(f"cv must be a finite number >= 0, got {cv!r}")
    return float(cv)


def _servers(c: int) -> int:
    if isinstance(c, bool) or not isinstance(c, numbers.Integral) or c < 1:
        raise ValueError(f"c (number of servers) must be an integer >= 1, got {c!r}")
    return int(c)


def _check_stable(lam: float, capacity: float) -> float:
    """Return rho = lam / capacity, raising UnstableQueueError if rho >= 1."""
    rho = lam / capacity
    if rho >= 1:
        raise UnstableQueueError(
            f"unstable: utilization rho={rho:.2f} >= 1 "
            f"(arrival rate {lam:g}/s, capacity {capacity:g}/s)"
        )
    return rho


def _metrics(lam: float, rho: float, p_wait: float, wq: float, mean_service: float) -> QueueMetrics:
    w = wq + mean_service
    return QueueMetrics(rho=rho, p_wait=p_wait, wq=wq, w=w, lq=lam * wq, l=lam * w)


def littles_law_l(lam: float, w: float) -> float:
    """Little's law: mean number in the system L = lam * W."""
    return lam * w


def utilization(lam: float, mean_service: float, c: int = 1) -> float:
    """Per-server utilization rho = lam * E[S] / c (may be >= 1; no stability check)."""
    return _positive("lam", lam) * _positive("mean_service", mean_service) / _servers(c)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a = lam/mu`` Erlangs.

    Uses the Erlang B recurrence B(0)=1, B(k) = a B(k-1) / (k + a B(k-1)), then
    C = B / (1 - rho (1 - B)) with rho = a/c; stable for thousands of servers.
    """
    c = _servers(c)
    a = _positive("a", a)
    rho = a / c
    if rho >= 1:
        raise UnstableQueueError(
            f"unstable: utilization rho={rho:.2f} >= 1 (offered load {a:g} Erlangs, {c} servers)"
        )
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1.0 - rho * (1.0 - b))


def mm1(lam: float, mu: float) -> QueueMetrics:
    """M/M/1: Poisson arrivals, exponential service at rate mu, one server."""
    lam, mu = _positive("lam", lam), _positive("mu", mu)
    rho = _check_stable(lam, mu)
    return _metrics(lam, rho, rho, rho / (mu - lam), 1.0 / mu)


def mmc(lam: float, mu: float, c: int) -> QueueMetrics:
    """M/M/c (Erlang C): Wq = C(c, a) / (c mu - lam)."""
    lam, mu, c = _positive("lam", lam), _positive("mu", mu), _servers(c)
    rho = _check_stable(lam, c * mu)
    p_wait = erlang_c(c, lam / mu)
    return _metrics(lam, rho, p_wait, p_wait / (c * mu - lam), 1.0 / mu)


def mg1(lam: float, mean_service: float, cv: float) -> QueueMetrics:
    """M/G/1 via Pollaczek-Khinchine: Wq = lam E[S^2] / (2 (1 - rho)).

    ``cv`` is the coefficient of variation of the service time (std / mean), so
    E[S^2] = mean^2 (1 + cv^2). cv=1 gives M/M/1, cv=0 gives M/D/1.
    """
    lam, s, cv = _positive("lam", lam), _positive("mean_service", mean_service), _cv(cv)
    rho = _check_stable(lam, 1.0 / s)
    second_moment = s * s * (1.0 + cv * cv)
    return _metrics(lam, rho, rho, lam * second_moment / (2.0 * (1.0 - rho)), s)


def md1(lam: float, service_time: float) -> QueueMetrics:
    """M/D/1: deterministic service time D; Wq = rho D / (2 (1 - rho)), half of M/M/1."""
    lam, d = _positive("lam", lam), _positive("service_time", service_time)
    rho = _check_stable(lam, 1.0 / d)
    return _metrics(lam, rho, rho, rho * d / (2.0 * (1.0 - rho)), d)


def mgc_approx(lam: float, mean_service: float, cv: float, c: int) -> QueueMetrics:
    """M/G/c by the Allen-Cunneen APPROXIMATION: Wq ~= Wq(M/M/c) * (1 + cv^2) / 2.

    Not exact: good for moderate cv and high load, exact for c=1 (P-K) and cv=1 (M/M/c).
    ``p_wait`` is the M/M/c Erlang C value, itself an approximation here.
    """
    s, cv, c = _positive("mean_service", mean_service), _cv(cv), _servers(c)
    base = mmc(lam, 1.0 / s, c)
    wq = base.wq * (1.0 + cv * cv) / 2.0
    return _metrics(float(lam), base.rho, base.p_wait, wq, s)


def _whitt_factor(rho: float, c: int, ca2: float, cs2: float) -> float:
    """Whitt's (1993) correction phi(rho, ca2, cs2, m) to the Allen-Cunneen wait: > 1 for
    nearly constant service on several servers (Cosmetatos), < 1 for very variable service."""
    gamma = min(0.24, (1 - rho) * (c - 1) * (math.sqrt(4 + 5 * c) - 2) / (16 * rho * c))
    phi1, phi2 = 1 + gamma, 1 - 4 * gamma
    phi3 = phi2 * math.exp(-2 * (1 - rho) / (3 * rho))
    phi4 = min(1.0, (phi1 + phi3) / 2)
    c2 = (ca2 + cs2) / 2
    psi = 1.0 if c2 >= 1 else phi4 ** (2 * (1 - c2))
    if ca2 >= cs2:
        return (4 * (ca2 - cs2) / (4 * ca2 - 3 * cs2)) * phi1 + (cs2 / (4 * ca2 - 3 * cs2)) * psi
    return ((cs2 - ca2) / (2 * ca2 + 2 * cs2)) * phi3 + ((cs2 + 3 * ca2) / (2 * ca2 + 2 * cs2)) \
        * psi


def mgc_whitt(lam: float, mean_service: float, cv: float, c: int) -> QueueMetrics:
    """M/G/c by Whitt's (1993) two-moment APPROXIMATION: the Allen-Cunneen wait times his
    correction factor phi, which reduces to 1 for c=1 or cv=1 (then exact, as P-K and Erlang C)
    and brings nearly constant and very variable service times closer to the exact values."""
    base = mgc_approx(lam, mean_service, cv, c)
    cs2 = _cv(cv) ** 2
    if c == 1 or abs(cs2 - 1) < 1e-12:
        return base
    wq = base.wq * _whitt_factor(base.rho, c, 1.0, cs2)
    return _metrics(float(lam), base.rho, base.p_wait, wq, float(mean_service))
