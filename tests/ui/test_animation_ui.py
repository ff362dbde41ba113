"""The animated system view through Streamlit's AppTest, on a tiny page that calls
``render_animation`` the way the Playground, Compare and Lessons pages do."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.charts import chart_specs

PAGE = str(Path(__file__).resolve().parent / "animation_app.py")


def page(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(params)
    return at.run()


def figure(at: AppTest) -> dict:
    charts = chart_specs(at)
    assert len(charts) == 1
    return charts[0]


@pytest.mark.parametrize("mode", ["both", "sync", "async"])
def test_animation_renders_for_each_mode(mode: str) -> None:
    at = page(mode=mode)
    assert not at.exception
    fig = figure(at)
    assert len(fig["frames"]) > 100 and fig["layout"]["sliders"][0]["steps"]
    assert fig["layout"]["meta"]["panels"] == (2 if mode == "both" else 1)
    words = [m.value for m in at.markdown]
    assert any(w.startswith("**sync** at t =") for w in words) == (mode != "async")
    assert any(w.startswith("**async** at t =") for w in words) == (mode != "sync")


def test_inspector_follows_its_time_slider() -> None:
    at = page(scenario="worker_crash_ack_modes", duration="100")
    assert not at.exception
    moment = at.slider(key="t_anim_t")
    assert moment.value == pytest.approx(60.25)  # just after the crash, by default
    assert [w.value for w in at.warning] == ["Down: worker w0"]
    moment.set_value(20.0).run()
    assert not at.exception and not at.warning
    assert any(m.value.startswith("**async** at t = 20") for m in at.markdown)


def test_long_run_offers_a_window_and_animates_it() -> None:
    at = page(scenario="email_signup", duration="120")
    assert not at.exception
    start = at.slider(key="t_anim_from")
    assert figure(at)["layout"]["meta"]["times"][0] == pytest.approx(start.value)
    start.set_value(30.0).run()
    times = figure(at)["layout"]["meta"]["times"]
    assert not at.exception and times[0] == pytest.approx(30.0)
    assert times[-1] == pytest.approx(30.0 + 0.05 * 1199)
