"""A real ``streamlit run`` driven by headless Chromium through Playwright.

Moves a slider, waits for the redrawn chart, downloads a PNG export and saves a screenshot;
opens a fault scenario and a Kafka scenario and checks the shaded fault window and the lag
chart in the real page. Prints (never asserts) the cold load time and the slider-to-chart
times. Set ASYNC_LAB_SHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM

FINGERPRINT = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  if (!gd || !gd.data || !gd.querySelector('.main-svg')) return null;
  return JSON.stringify(gd.data.map(t => t.x && t.x.length ? t.x[Math.floor(t.x.length / 2)]
                                                           : null));
}"""

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]




def wait_for_new_chart(page, old: str | None, url_part: str = "",
                       timeout_s: float = 20) -> str:
    """Wait until the first chart shows other data, the URL has ``url_part`` and the app is
    no longer running."""
    page.wait_for_function(
        f"([old, part]) => {{ const f = ({FINGERPRINT})(); return f !== null && f !== old && "
        f"location.href.includes(part) && "
        f"!document.querySelector('[data-testid=stStatusWidget]'); }}",
        arg=[old, url_part], timeout=timeout_s * 1000, polling=20)
    return page.evaluate(FINGERPRINT)


def test_slider_chart_and_png_export(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        start = time.perf_counter()
        page.goto(server)
        fingerprint = wait_for_new_chart(page, None, timeout_s=60)
        cold = time.perf_counter() - start
        slider = page.locator("[data-testid='stSlider']").filter(has_text="Arrival rate") \
            .get_by_role("slider")
        times = []
        for step in range(1, 6):
            slider.focus()
            t0 = time.perf_counter()
            page.keyboard.press("ArrowRight")
            fingerprint = wait_for_new_chart(page, fingerprint,
                                             f"arrivals.rate={20 + step * 0.2:g}")
            times.append(time.perf_counter() - t0)
            page.wait_for_timeout(300)
        assert "arrivals.rate=21" in page.url  # 20 requests/s + 5 steps of 0.2
        # the chart's "Download" menu builds its buttons when it opens
        page.get_by_test_id("stPopoverButton").filter(has_text="Download").first.click()
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="PNG", exact=True).first.click(timeout=60_000)
        png = tmp_path / "chart.png"
        info.value.save_as(png)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        page.get_by_role("tab", name="Request journeys").click()
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg')"
                               ".length >= 2 && document.body.innerText.includes('Journey of')")
        page.wait_for_timeout(800)
        page.evaluate("() => window.scrollTo(0, 0)")
        shot = tmp_path / "playground.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        fresh = browser.new_page(viewport={"width": 1440, "height": 1000})  # warm server
        t0 = time.perf_counter()
        fresh.goto(server)
        wait_for_new_chart(fresh, None, timeout_s=60)
        warm = time.perf_counter() - t0
        browser.close()
    print(f"\ncold load to first chart drawn: {cold:.2f} s (fresh server), "
          f"{warm:.2f} s (new browser page, server already warm)")
    print(f"slider -> new chart: median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)})")
    keep = os.environ.get("ASYNC_LAB_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "playground.png")
        shutil.copy(png, Path(keep) / "export.png")


def drawn_tab(page, url: str, tab: str, text: str) -> None:
    """Open ``url``, switch to ``tab`` and wait until a chart containing ``text`` is drawn."""
    page.goto(url)
    wait_for_new_chart(page, None, timeout_s=90)
    page.get_by_role("tab", name=tab).click()
    page.wait_for_function(
        "(text) => [...document.querySelectorAll('.js-plotly-plot')].some(p => "
        "p.querySelector('.main-svg') && p.textContent.includes(text)) && "
        "!document.querySelector('[data-testid=stStatusWidget]')", arg=text, timeout=90_000)
    page.wait_for_timeout(800)


@pytest.mark.parametrize(("scenario", "tab", "text"), [
    ("retry_storm", "Over time & queues", "downstream down"),
    ("kafka_partitions_hot_key", "Over time & queues", "Kafka consumer lag"),
])
def test_engine_features_in_the_browser(server: str, browser, tmp_path: Path, scenario: str,
                                        tab: str, text: str) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 2400})
    drawn_tab(page, f"{server}/?scenario={scenario}", tab, text)
    if text == "downstream down":  # the fault window is a shaded rectangle on the chart
        assert page.locator(".js-plotly-plot .shapelayer path").count() >= 1
    assert "Traceback" not in page.inner_text("body")
    shot = tmp_path / f"{scenario}.png"
    page.screenshot(path=str(shot))
    page.close()
    keep = os.environ.get("ASYNC_LAB_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_a_slow_scenario_rate_moves_in_thousandths(server: str, browser) -> None:
    """report_generation sends 0.07 req/s: the slider shows 0.070 and one ArrowRight is
    0.071 (the track is fitted to its capacity, 0.075 req/s)."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(f"{server}/?scenario=report_generation")
    fingerprint = wait_for_new_chart(page, None, timeout_s=90)
    box = page.locator("[data-testid='stSlider']").filter(has_text="Arrival rate")
    assert "0.070" in box.inner_text()
    box.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    wait_for_new_chart(page, fingerprint, "arrivals.rate=0.071", timeout_s=90)
    assert "0.071" in box.inner_text() and "Traceback" not in page.inner_text("body")
    page.close()
