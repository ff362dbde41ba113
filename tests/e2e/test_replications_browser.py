"""Replications in a real browser (headless Chromium on a real ``streamlit run``): a link with
``reps=3`` opens the Playground and Compare with the KPIs as mean ± half-width and the main
charts drawn with their 95 % bands and error bars, in the designs' own colours, every chart
named with its numbers, titles clear of legends, and no serious axe-core violation on any tab.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.audit import (
    axe,
    axe_available,
    charts_drawn,
    describe,
    idle,
    install_axe,
    overlaps,
    truncated,
)
from tests.e2e.conftest import ARGS, CHROMIUM

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]

# the fills of the drawn bands, and each chart's accessible name
BANDS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({
  title: (gd.querySelector('.g-gtitle') || {}).textContent || '',
  fills: gd._fullData.filter(t => t.fill === 'toself').map(t => t.fillcolor),
  lines: gd._fullData.filter(t => t.mode === 'lines' && (!t.fill || t.fill === 'none'))
                     .map(t => t.line.color),
  errors: gd._fullData.filter(t => (t.error_x && t.error_x.visible) ||
                                   (t.error_y && t.error_y.visible)).length,
  name: gd.closest('.al-chart').getAttribute('aria-label') || ''}))"""


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url)
    page.wait_for_selector("[data-testid=stMain] h1", timeout=90_000)
    charts_drawn(page, 2, timeout_ms=120_000)
    idle(page, 120_000)
    page.mouse.move(0, 0)
    return page


def _check(page, where: str, axe_ready: bool) -> None:
    assert not truncated(page), f"{where}: cut to '…': {truncated(page)}"
    assert not overlaps(page), f"{where}: overlapping chart texts: {overlaps(page)}"
    if axe_ready:
        bad = axe(page)
        assert not bad, f"{where}: {describe(bad)}"
    assert "Traceback" not in page.inner_text("body")


@pytest.mark.parametrize("path", ["/?reps=3&duration=30", "/compare?reps=3"])
def test_replications_draw_bands_and_error_bars(server: str, path: str) -> None:
    from playwright.sync_api import sync_playwright

    axe_ready = axe_available() or install_axe()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _open(browser, server + path)
        values = page.locator("[data-testid=stMetricValue]").all_inner_texts()
        assert sum("±" in v for v in values) >= 4, values
        charts = page.evaluate(BANDS)
        ecdf = next(c for c in charts if c["title"].startswith("Response time"))
        assert "mean of 3 replications" in ecdf["title"]
        assert len(ecdf["fills"]) == 2 and len(set(ecdf["lines"])) == 2
        for fill in ecdf["fills"]:  # translucent, in one of the two designs' colours
            assert fill.startswith("rgba(") and fill.endswith(",0.18)")
        assert ecdf["name"].startswith("Chart: ") and "Mean of 3 replications" in ecdf["name"]
        assert "first replication" not in page.inner_text("[data-testid=stMain]")
        _check(page, f"{path} Response time", axe_ready)
        for tab, title in (("Tasks & retries", "What happened to every task"),
                           ("Over time & queues", None)):
            page.get_by_role("tab", name=tab).click()
            idle(page, 120_000)
            page.mouse.move(0, 0)
            if title:
                page.wait_for_function("t => [...document.querySelectorAll('.g-gtitle')]"
                                       ".some(e => e.textContent.startsWith(t))", arg=title,
                                       timeout=60_000)
                fates = next(c for c in page.evaluate(BANDS) if c["title"].startswith(title))
                assert fates["errors"] >= 2  # one bar per design, each with error bars
            else:
                assert "first replication only" in page.inner_text("[data-testid=stMain]")
            _check(page, f"{path} {tab}", axe_ready)
        browser.close()
