"""Distributions: vectorised samples have the declared mean and coefficient of variation."""

from __future__ import annotations

import numpy as np
import pytest

from sim.dists import cv_of, mean_of, sample
from sim.scenario import ConstantDist, ErlangDist, ExponentialDist, LognormalDist, UniformDist

SPECS = [
    ConstantDist(value=0.3),
    ExponentialDist(mean=0.5),
    LognormalDist(mean=0.8, cv=0.5),
    LognormalDist(mean=0.8, cv=0.0),
    UniformDist(low=20, high=60),
    ErlangDist(mean=2.0, k=4),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.dist}")
def test_sample_moments_match_the_spec(spec):
    values = sample(spec, np.random.default_rng(0), 200_000)
    mean = mean_of(spec)
    assert values.min() >= 0
    assert values.mean() == pytest.approx(mean, rel=0.01)
    cv = values.std() / values.mean()
    assert cv == pytest.approx(cv_of(spec), abs=0.02)


def test_same_generator_state_gives_same_values():
    spec = LognormalDist(mean=1, cv=1)
    a = sample(spec, np.random.default_rng(3), 10)
    b = sample(spec, np.random.default_rng(3), 10)
    assert np.array_equal(a, b)
