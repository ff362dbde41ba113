"""Without Chrome/Chromium the pages say once, plainly, why PNG/SVG downloads are off (and that
HTML works); with it they say nothing. The browser finder is patched in the AppTest's process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.views
from ui.views import download_key

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    ui.views.images_possible.cache_clear()
    monkeypatch.setattr(ui.views, "browser_path", lambda: None)
    yield
    ui.views.images_possible.cache_clear()


def notices(at: AppTest) -> list[str]:
    return [i.value for i in at.info if "Chromium" in i.value]


def image_buttons(at: AppTest) -> list:
    return [b for b in at.get("download_button") if b.proto.label in ("PNG", "SVG")]


def test_playground_says_once_that_images_need_chromium(no_browser: None) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"duration": "20"})
    at.run()
    assert not at.exception
    [text] = notices(at)
    assert "apt-get install -y chromium" in text and "HTML downloads work" in text
    assert not image_buttons(at)  # the buttons are built when the "Download" menu opens
    at.session_state[download_key("pg_response_time_ecdf")] = True
    at.run()
    buttons = image_buttons(at)
    assert len(buttons) == 2 and all(b.proto.disabled for b in buttons)
    assert all("apt-get install -y chromium" in b.proto.help for b in buttons)
    [html] = [b for b in at.get("download_button") if b.proto.label == "HTML"]
    assert not html.proto.disabled


def test_lessons_panel_says_it_too(no_browser: None) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("ui/pages/lessons.py")
    at.query_params.update({"lesson": "why_async", "instructor": "1", "step": "1"})
    at.run()
    at.button(key="ls_run_why_async_who_waits").click().run()
    assert not at.exception and len(notices(at)) == 1


def test_no_notice_when_a_browser_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    ui.views.images_possible.cache_clear()
    monkeypatch.setattr(ui.views, "browser_path", lambda: "/usr/bin/chromium")
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update({"duration": "20"})
        at.run()
        assert not at.exception and not notices(at)
        assert all(not b.proto.disabled for b in image_buttons(at))
    finally:
        ui.views.images_possible.cache_clear()
