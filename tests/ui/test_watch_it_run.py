"""The "Watch it run" animation on the real pages: the Playground, Compare and Scenario lab tab,
and the Lessons page toggle (AppTest; the tiny page in animation_app.py tests the view itself)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.ui.charts import chart_specs

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TAB = "Watch it run"


def app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    return at.run()


def animations(at: AppTest) -> list[dict]:
    """Figures on the page that are animations (they have frames and a time slider)."""
    figs = chart_specs(at)
    return [f for f in figs if f.get("frames") and f["layout"].get("sliders")]


def assert_animated(at: AppTest, panels: int) -> None:
    assert not at.exception and not at.error
    figs = animations(at)
    assert len(figs) == 1, "one animation on the tab"
    assert len(figs[0]["frames"]) > 10 and figs[0]["layout"]["meta"]["panels"] == panels
    assert any(m.value.startswith("**") and " at t = " in m.value for m in at.markdown)


def test_playground_tab_animates_both_designs() -> None:
    at = app(duration="20")
    assert not animations(at), "drawn only when its tab is open"
    at.session_state["pg_tab"] = TAB
    at.run()
    assert_animated(at, panels=2)


def test_compare_tab_animates_a_and_b() -> None:
    at = app()
    at.switch_page("ui/pages/compare.py").run()
    at.session_state["cmp_tab"] = TAB
    at.run()
    assert_animated(at, panels=2)


def test_scenario_lab_tab_animates_the_pasted_scenario() -> None:
    at = app()
    at.switch_page("ui/pages/lab.py").run()
    at.text_area(key="lab_yaml").set_value("duration: 20\nworkers: {count: 3}\n").run()
    at.button(key="lab_run").click().run()
    at.session_state["lab_tab"] = TAB
    at.run()
    assert_animated(at, panels=2)


def test_lessons_toggle_shows_the_animation() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("ui/pages/lessons.py")
    at.query_params.update({"lesson": "why_async", "instructor": "1", "step": "1"})
    at.run()
    at.button(key="ls_run_why_async_who_waits").click().run()
    assert not at.exception and not animations(at)
    at.toggle(key="ls_anim_why_async_who_waits").set_value(True).run()
    assert_animated(at, panels=2)
