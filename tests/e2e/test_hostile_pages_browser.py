"""Every page of a real server opened with hostile links in Chromium: none shows an exception,
a traceback or the bomb's expansion; the pages that read links say "Link ignored"."""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM
from tests.hostile.corpus import deep_list, flow_bomb

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]
HANG_GUARD_MS = 120_000
BOMB = flow_bomb(9)
COMMON = {"arrivals.rate": BOMB, "seed": "²", "workers.count": deep_list(500),
          "task.service.mean": ".inf", "x": "z" * 9000}
LINKS = {
    "": [COMMON, {"scenario": "s" * 3000, "limits.max_in_system": "1e9"}],
    "compare": [{"A.workers.count": "abc", "B.arrivals.rate": BOMB, "seed": "²"},
                {"A.workers.acks_late": "maybe", "A.arrivals.rate": "[1,2]",
                 "A.workers.rate_limit": "abc"}],
    "planner": [COMMON, {"plan_reps": "100000", "plan_range": "1,100000000", "reps": "10000",
                         "plan_knob": BOMB, "plan_scenario": "../../etc/passwd",
                         "knob": "!!python/name:os.system", "range": "1:1e9"},
                {"slo": "user_wait_s.p95=" + BOMB, "slo2": "x=.inf", "reps": "10000",
                 "range": "1:1e9", "knob": "!!python/name:os.system", "mode": "both",
                 "scenario": "s" * 3000}],
    "lessons": [{"lesson": BOMB, "step": "²"}, {"lesson": "l" * 9000, "step": "999999"}],
    "lab": [COMMON, {"yaml": BOMB, "scenario": BOMB}],
    "about": [COMMON],
}
READS_LINKS = {"", "compare", "lessons"}  # and the planner, given a planner link:
PLANNER_KEYS = {"slo", "slo2", "knob", "range"}  # (ui/planner_link.py)
EXCEPTION = "[data-testid='stException']"


def settled(page) -> str:
    """The page's text once the script run is over: no status widget and the same text for
    a second (a hang guard ends the wait)."""
    deadline = time.monotonic() + HANG_GUARD_MS / 1000
    last, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        text = page.inner_text("body")
        running = page.locator("[data-testid='stStatusWidget']").count() > 0
        if text != last or running:
            last, stable_since = text, time.monotonic()
        elif time.monotonic() - stable_since >= 1.0:
            return text
        time.sleep(0.2)
    return page.inner_text("body")


def test_no_page_shows_an_exception_for_a_hostile_link(server: str) -> None:
    from playwright.sync_api import sync_playwright

    seen = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for path, links in LINKS.items():
            for params in links:
                page = browser.new_context().new_page()
                page.goto(f"{server}/{path}?" + urllib.parse.urlencode(params))
                page.wait_for_selector("[data-testid='stMainBlockContainer'] h1",
                                       timeout=HANG_GUARD_MS)
                text = settled(page)
                seen.append((path or "playground", page.locator(EXCEPTION).count(),
                             "Link ignored" in text))
                assert page.locator(EXCEPTION).count() == 0, (path, params.keys(), text[:500])
                assert "Traceback" not in text and text.count("lol") < 50, (path, text[:500])
                if path in READS_LINKS or (path == "planner" and PLANNER_KEYS & params.keys()):
                    assert "Link ignored" in text or "no lesson" in text, (path, text[:500])
                page.context.close()
        browser.close()
    print("pages walked (page, exceptions, 'Link ignored' shown):", seen)
