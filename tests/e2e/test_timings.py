"""How long a class waits: the first chart from a fresh server (cold) and from a warm one, and
from a slider move to the redrawn chart. Measured in a real browser, printed and written to
out/timings.json (median of several runs), never asserted: the numbers depend on the machine.

ASYNC_LAB_TIMING_RUNS (default 1: 1 cold, 3 warm, 5 slider moves) sets how many cold runs to
median; each cold run starts its own server and is followed by 3 warm loads (a warm server, a
new browser context: nothing cached in the browser, as for a student opening the link).

For scale, the same is timed for a reference page (``floor_app.py``: one KPI and the same main
chart, nothing else, drawn by ``st.plotly_chart``): what Streamlit and its own Plotly element
alone cost on this machine.

Each page load also records, on the browser's clock from navigation start, when the app shell,
the first KPI and the first drawn chart appeared, and when the last message of the first script
run arrived over the websocket: where a slow first chart spends its time (server or browser).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM, ROOT, streamlit_server
from tests.e2e.test_browser import wait_for_new_chart

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]
REPORT = ROOT / "out" / "timings.json"


PHASES = ("shell", "first_kpi", "chart_drawn", "last_message")
MARKS = """window.__marks = {};
new MutationObserver(() => { const m = window.__marks, now = Math.round(performance.now());
  const seen = s => document.querySelector(s);
  if (!m.shell && seen('[data-testid=stApp]')) m.shell = now;
  if (!m.first_kpi && seen('[data-testid=stMetric]')) m.first_kpi = now;
  if (!m.chart_drawn && seen('.js-plotly-plot .main-svg')) m.chart_drawn = now;
}).observe(document, {subtree: true, childList: true});"""


def first_chart(browser, url: str, phases: dict[str, list[float]] | None = None) -> float:
    """Seconds from navigation to the first chart; ``phases`` gets the browser's marks (ms)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.add_init_script(MARKS)
    last: list[float] = []  # when websocket messages came (the test's clock, from goto)
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda _: last.append(time.perf_counter())))
    start = time.perf_counter()
    page.goto(url)
    wait_for_new_chart(page, None, timeout_s=120)
    took = time.perf_counter() - start
    if phases is not None:
        marks = page.evaluate("window.__marks")
        before = [t for t in last if t <= start + took]
        if before:
            marks["last_message"] = round((max(before) - start) * 1000)
        for name in PHASES:
            if name in marks:
                phases.setdefault(name, []).append(marks[name])
    page.close()
    return took


def _medians(phases: dict[str, list[float]]) -> dict[str, float]:
    return {name: round(statistics.median(xs)) for name, xs in phases.items()}


def test_cold_warm_and_slider_times() -> None:
    from playwright.sync_api import sync_playwright

    runs = int(os.environ.get("ASYNC_LAB_TIMING_RUNS", "1"))
    cold, warm, slider = [], [], []
    cold_phases: dict[str, list[float]] = {}
    warm_phases: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            server = streamlit_server("app.py")
            url = next(server)
            cold.append(first_chart(browser, url, cold_phases))
            for _ in range(3):
                warm.append(first_chart(browser, url, warm_phases))
            if not slider:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(url)
                fingerprint = wait_for_new_chart(page, None, timeout_s=120)
                box = page.locator("[data-testid='stSlider']").filter(has_text="Arrival rate")
                for step in range(1, 6):
                    box.get_by_role("slider").focus()
                    t0 = time.perf_counter()
                    page.keyboard.press("ArrowRight")
                    fingerprint = wait_for_new_chart(page, fingerprint,
                                                     f"arrivals.rate={20 + step * 0.2:g}",
                                                     timeout_s=120)
                    slider.append(time.perf_counter() - t0)
                    page.wait_for_timeout(300)
                page.close()
            server.close()
        server = streamlit_server("tests/e2e/floor_app.py")
        url = next(server)
        first_chart(browser, url)
        reference = [first_chart(browser, url) for _ in range(3 * runs)]
        server.close()
        browser.close()
    found = {name: {"median_s": round(statistics.median(xs), 2),
                    "runs_s": [round(x, 2) for x in xs]}
             for name, xs in (("cold_first_chart", cold), ("warm_first_chart", warm),
                              ("slider_to_chart", slider),
                              ("reference_page_warm_first_chart", reference))}
    found["cold_phases_median_ms"] = _medians(cold_phases)
    found["warm_phases_median_ms"] = _medians(warm_phases)
    found["load_average"] = os.getloadavg()[0]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(found, indent=1), encoding="utf-8")
    print("\n" + json.dumps(found))
