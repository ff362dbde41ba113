"""Lesson tests: the lessons loaded once, and runs cached per test process."""

from __future__ import annotations

import json
from functools import cache, lru_cache

import pytest

from sim import run
from sim.lessons import Lesson, load_lessons
from sim.runner import Result
from sim.scenario import Scenario, from_dict


@cache
def _run(scenario_json: str, mode: str, seed: int) -> Result:
    return run(from_dict(json.loads(scenario_json)), mode, seed)


def cached_run(scenario: Scenario, mode: str, seed: int) -> Result:
    """The simulator, run once per (scenario, mode, seed) in this process."""
    return _run(scenario.model_dump_json(), mode, seed)


@lru_cache(maxsize=1)
def all_lessons() -> tuple[Lesson, ...]:
    return tuple(load_lessons())


def lesson_by_id(lesson_id: str) -> Lesson:
    return next(lesson for lesson in all_lessons() if lesson.id == lesson_id)


@pytest.fixture
def lessons() -> tuple[Lesson, ...]:
    return all_lessons()
