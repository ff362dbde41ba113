"""Async Lab engine: simulate synchronous vs asynchronous request handling.

Public API: ``load_scenario(id_or_path, overrides)`` and ``run(scenario, mode, seed) -> Result``.
"""

from sim.runner import Result, compare, replicate, run
from sim.scenario import Scenario, ScenarioError, apply_overrides, load_scenario

__all__ = [
    "Result",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "compare",
    "load_scenario",
    "replicate",
    "run",
]
