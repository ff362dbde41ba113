"""Hostile links and pastes on every page (AppTest): each is ignored with a "Link ignored:
field: reason" message (or refused in the lab), never an exception, and never parsed into
something big: alias bombs, deep nesting, over-long links, infinities, tags, odd seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.hostile.corpus import bomb, deep_list

APP = str(Path(__file__).resolve().parents[2] / "app.py")
FLOW_BOMB = "[" + ", ".join(["&a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] +
                            ["*a"] * 9) + "]"


def page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if name != "playground":
        at.switch_page(f"ui/pages/{name}.py")
    at.query_params.update(params)
    return at.run()


def errors(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.error)


PLAYGROUND = {
    "bomb": ({"arrivals.rate": FLOW_BOMB}, "arrivals.rate: YAML anchors"),
    "deep": ({"workers.count": deep_list(1000)}, "workers.count: nested more than"),
    "long": ({"title": "x" * 9000, "workers.count": "3"}, "longer than 8 KB"),
    "inf_mean": ({"task.service.mean": "inf"}, "task.service.mean"),
    "yaml_inf": ({"task.service.mean": ".inf"}, "finite number"),
    "nan_rate": ({"arrivals.rate": ".nan"}, "arrivals.rate"),
    "huge": ({"web.timeout": "1e308"}, "web.timeout"),
    "tag": ({"workers.count": "!!python/name:os.system"}, "YAML tags"),
    "seed_super": ({"seed": "²"}, "seed: must be a whole number"),
    "seed_huge": ({"seed": "9" * 30}, "seed: must be a whole number"),
    "binary": ({"arrivals.rate": "\x00\x01\x02"}, "arrivals.rate"),
    "scenario": ({"scenario": "s" * 3000}, "no bundled scenario"),
    "limits": ({"limits.max_in_system": "1e9"}, "limits.max_in_system"),
}


@pytest.mark.parametrize("case", list(PLAYGROUND))
def test_playground_ignores_a_hostile_link_with_a_message(case: str) -> None:
    params, expected = PLAYGROUND[case]
    at = page("playground", **params)
    assert not at.exception, at.exception
    text = errors(at)
    assert "Link ignored" in text and expected in text, text
    assert len(text) < 1000 and "lol" not in text and "xxxxxxxxxxxxxxxx" not in text


COMPARE = {
    "count_abc": ({"A.workers.count": "abc"}, "A.workers.count: must be a whole number"),
    "acks_maybe": ({"A.workers.acks_late": "maybe"}, "A.workers.acks_late"),
    "rate_list": ({"A.arrivals.rate": "[1,2]"}, "A.arrivals.rate"),
    "rate_limit": ({"A.workers.rate_limit": "abc"}, "A.workers.rate_limit"),
    "seed": ({"seed": "²"}, "seed: must be a whole number"),
    "inf": ({"B.task.service.mean": ".inf"}, "B.task.service.mean"),
    "bomb": ({"B.arrivals.rate": FLOW_BOMB}, "B.arrivals.rate: YAML anchors"),
    "long": ({"A.title": "y" * 9000}, "longer than 8 KB"),
}


@pytest.mark.parametrize("case", list(COMPARE))
def test_compare_ignores_a_hostile_link_with_a_message(case: str) -> None:
    params, expected = COMPARE[case]
    at = page("compare", **params)
    assert not at.exception, at.exception
    text = errors(at)
    assert "Link ignored" in text and expected in text, text


def test_compare_reads_a_good_rate_limit_from_the_link() -> None:
    at = page("compare", **{"A.workers.rate_limit": "10/s"})
    assert not at.exception and not at.error
    assert at.slider(key="cmp_A_rate_limit").value == 10.0


LESSONS = {
    "step_super": ({"step": "²"}, "step: must be a step number"),
    "step_text": ({"step": "abc"}, "step: must be a step number"),
    "lesson_long": ({"lesson": "l" * 9000}, "longer than 8 KB"),
    "lesson_bomb": ({"lesson": FLOW_BOMB}, "lesson: no lesson"),
}


@pytest.mark.parametrize("case", list(LESSONS))
def test_lessons_ignore_a_hostile_link_with_a_message(case: str) -> None:
    params, expected = LESSONS[case]
    at = page("lessons", **params)
    assert not at.exception, at.exception
    text = errors(at)
    assert expected in text, text


def test_a_huge_step_number_goes_to_the_last_step() -> None:
    at = page("lessons", step="999999")
    assert not at.exception and not at.error


@pytest.mark.parametrize("name", ["lab", "about", "planner"])
def test_pages_without_links_shrug_off_a_hostile_link(name: str) -> None:
    at = page(name, **{"arrivals.rate": FLOW_BOMB, "seed": "²", "x": "z" * 9000})
    assert not at.exception, at.exception


LAB = {
    "bomb_title": bomb("title"),
    "bomb_duration": bomb("duration"),
    "deep": "arrivals: " + deep_list(1000),
    "tag": "duration: !!python/object/apply:os.system [echo]",
    "inf": "duration: .inf",
    "garbage": "\x00\x01\x02garbage",
    "big": "description: " + "z" * 300_000,
    "not_a_scenario": "Some prose: that is not a scenario",
}


@pytest.mark.parametrize("case", list(LAB))
def test_the_lab_refuses_a_hostile_paste_with_one_line(case: str) -> None:
    at = page("lab")
    at.text_area(key="lab_yaml").set_value(LAB[case])
    at.button(key="lab_run").click().run()
    assert not at.exception, at.exception
    text = errors(at)
    assert text.startswith("Not a valid scenario") and "\n" not in text, text
    assert len(text) < 400 and "lol" not in text and "zzzzzzzzzz" not in text
