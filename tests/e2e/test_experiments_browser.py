"""The capacity planner and the replications control in a real browser (headless Chromium on a
real ``streamlit run``): the search runs with a progress bar and draws its answer and chart;
replications turn the KPIs into mean ± half-width."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]


def test_planner_answers_and_replications_show_intervals(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/planner")
        page.get_by_role("button", name="Find the smallest setting").click(timeout=60_000)
        page.wait_for_function(
            "() => document.body.innerText.includes('is the smallest setting') && "
            "[...document.querySelectorAll('.js-plotly-plot')].some(p => "
            "p.querySelector('.main-svg') && p.textContent.includes('Capacity planner'))",
            timeout=120_000)
        page.screenshot(path=str(tmp_path / "planner.png"), full_page=True)
        assert "workers.count = 1 is the smallest setting" in page.inner_text("body")

        page.goto(f"{server}/?duration=20")
        page.wait_for_function("() => document.querySelector('.js-plotly-plot .main-svg')",
                               timeout=90_000)
        slider = page.locator("[data-testid='stSlider']").filter(has_text="Replications") \
            .get_by_role("slider")
        slider.focus()
        for _ in range(2):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
            ".filter(m => m.innerText.includes('±')).length >= 4 && "
            "document.body.innerText.includes('over 3 replications')", timeout=120_000)
        browser.close()
