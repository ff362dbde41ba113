"""Service-time and inter-arrival distributions.

Each distribution is described by a scenario model (see ``sim.scenario``) and turned into a
vectorised sampler here: ``sample(spec, rng, n)`` draws ``n`` values at once with numpy, which
the engine then hands out one by one (see ``sim.rng.Draws``). ``mean_of`` and ``cv_of`` give the
first two moments that the closed forms in ``sim.theory`` need.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.scenario import (
    ConstantDist,
    Distribution,
    ErlangDist,
    ExponentialDist,
    LognormalDist,
    UniformDist,
)

Sampler = Callable[[object, np.random.Generator, int], np.ndarray]


def _constant(spec: ConstantDist, rng: np.random.Generator, n: int) -> np.ndarray:
    return np.full(n, float(spec.value))


def _exponential(spec: ExponentialDist, rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.exponential(spec.mean, n)


def _lognormal(spec: LognormalDist, rng: np.random.Generator, n: int) -> np.ndarray:
    if spec.cv == 0:
        return np.full(n, float(spec.mean))
    sigma2 = math.log1p(spec.cv**2)
    mu = math.log(spec.mean) - sigma2 / 2
    return rng.lognormal(mu, math.sqrt(sigma2), n)


def _uniform(spec: UniformDist, rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(spec.low, spec.high, n)


def _erlang(spec: ErlangDist, rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.gamma(spec.k, spec.mean / spec.k, n)


SAMPLERS: dict[str, Sampler] = {
    "constant": _constant,
    "exponential": _exponential,
    "lognormal": _lognormal,
    "uniform": _uniform,
    "erlang": _erlang,
}


def sample(spec: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` values of the distribution ``spec`` from ``rng``."""
    return SAMPLERS[spec.dist](spec, rng, n)


def is_zero(spec: Distribution) -> bool:
    """True for a distribution that always gives 0 (an overhead that is switched off)."""
    return isinstance(spec, ConstantDist) and spec.value == 0


def mean_of(spec: Distribution) -> float:
    """The mean of a distribution, in its own unit (seconds)."""
    if isinstance(spec, ConstantDist):
        return float(spec.value)
    if isinstance(spec, UniformDist):
        return (spec.low + spec.high) / 2
    return float(spec.mean)


def cv_of(spec: Distribution) -> float:
    """Coefficient of variation (standard deviation / mean); 0 for a zero mean."""
    mean = mean_of(spec)
    if mean == 0 or isinstance(spec, ConstantDist):
        return 0.0
    if isinstance(spec, ExponentialDist):
        return 1.0
    if isinstance(spec, LognormalDist):
        return float(spec.cv)
    if isinstance(spec, UniformDist):
        return (spec.high - spec.low) / math.sqrt(12) / mean
    return 1 / math.sqrt(spec.k)
