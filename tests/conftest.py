"""Shared test helpers."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings

from sim import Scenario
from sim.scenario import from_dict

# CI explores the same examples every run (a new random failure would make a green main red);
# local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def mmc_scenario(lam: float, mean_service: float, c: int, duration: float,
                 service: dict[str, Any] | None = None, **extra: Any) -> Scenario:
    """The full model configured as a plain M/M/c (or M/G/c with ``service``)."""
    data: dict[str, Any] = {
        "duration": duration,
        "mode": "async",
        "arrivals": {"rate": lam},
        "web": {"workers": 1000, "service": {"dist": "constant", "value": 0},
                "publish": {"dist": "constant", "value": 0}},
        "task": {"service": service or {"dist": "exponential", "mean": mean_service},
                 "failure_rate": 0},
        "workers": {"count": c, "concurrency": 1, "prefetch_multiplier": 1, "acks_late": True},
        "retry": {"max_retries": 0},
        "limits": {"max_in_system": 500_000},
    }
    data.update(extra)
    return from_dict(data)


@pytest.fixture
def small_scenario() -> Scenario:
    return from_dict({"duration": 30, "arrivals": {"rate": 10}})
