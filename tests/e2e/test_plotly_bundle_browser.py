"""Every chart of the Playground is drawn with plotly.js's basic bundle, loaded once per page:
Streamlit's own Plotly chunk (the whole of plotly.js, 4.7 MB) is never fetched, whichever tab
is opened. Each chart is a named figure with a full-screen button that a keyboard reaches and
that covers none of the chart's texts or controls (the animation's Play button included). And
the page asks nothing of any server but the app's own (a class may be offline)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.audit import under_full_screen_button
from tests.e2e.conftest import CHROMIUM
from tests.e2e.test_browser import wait_for_new_chart
from ui.plotly_chart import BUNDLE
from ui.views import TABS

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]

CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const box = gd.closest('.al-chart');
  return {role: box && box.getAttribute('role'), name: box && box.getAttribute('aria-label'),
          drawn: !!gd.querySelector('.main-svg')};
})"""


def test_every_tab_draws_with_the_basic_bundle_loaded_once(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    scripts: list[str] = []
    elsewhere: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.on("request", lambda r: elsewhere.append(r.url) if r.url.startswith("http") and
            urlparse(r.url).hostname != urlparse(server).hostname else None)
    page.goto(server)
    wait_for_new_chart(page, None, timeout_s=90)
    for tab in TABS:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                               timeout=120_000)
        page.wait_for_timeout(600)
        assert not under_full_screen_button(page), f"{tab}: the full-screen button covers"
    page.get_by_role("tab", name="Theory & load sweep").click()
    page.get_by_role("button", name="Run the load sweep").click(timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some(gd => "
                           "gd.layout && /^Load sweep/.test(gd.layout.title.text))",
                           timeout=120_000)
    page.get_by_role("tab", name="Watch it run").click()
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some("
                           "gd => gd.layout && gd.layout.sliders)", timeout=120_000)
    assert not under_full_screen_button(page), "the full-screen button covers part of the animation"
    charts = page.evaluate(CHARTS)
    assert charts and all(c["drawn"] and c["role"] == "figure" and c["name"] for c in charts)
    assert sum(BUNDLE in url for url in scripts) == 1, scripts
    assert not [url for url in scripts if "PlotlyChart" in url], "Streamlit's Plotly loaded"
    assert not elsewhere, elsewhere
    page.close()


def test_a_chart_goes_full_screen_from_the_keyboard(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(server)
    wait_for_new_chart(page, None, timeout_s=90)
    button = page.get_by_role("button", name="Show this chart full screen").first
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.fullscreenElement && "
                           "document.fullscreenElement.classList.contains('al-chart')")
    page.wait_for_function("() => document.querySelector('.al-chart-plot').offsetHeight "
                           ">= window.innerHeight - 2")
    page.keyboard.press("Enter")  # the same button leaves full screen
    page.wait_for_function("() => !document.fullscreenElement && "
                           "document.querySelector('.al-chart-plot').offsetHeight < 500")
    page.close()
