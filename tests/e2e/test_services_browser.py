"""The fan-out scenario in a real browser: the per-service queue and latency charts are drawn
with a line for each service, and the page shows no error."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM
from tests.e2e.test_browser import drawn_tab

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]

LEGEND = """(title) => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
    .find(p => p.textContent.includes(title));
  return plot ? [...plot.querySelectorAll('.legendtext')].map(t => t.textContent) : null;
}"""


@pytest.mark.parametrize(("tab", "title"), [
    ("Over time & queues", "Messages waiting per service"),
    ("Tasks & retries", "Task latency per service"),
])
def test_per_service_charts_in_the_browser(server: str, tmp_path: Path, tab: str,
                                           title: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 2400})
        drawn_tab(page, f"{server}/?scenario=signup_fanout", tab, title)
        legend = page.evaluate(LEGEND, title)
        assert legend is not None, title
        assert {"email", "analytics", "crm"} <= {t.split(" ")[0] for t in legend}, legend
        assert "Traceback" not in page.inner_text("body")
        shot = tmp_path / f"signup_fanout_{tab.split()[0].lower()}.png"
        page.screenshot(path=str(shot))
        browser.close()
    keep = os.environ.get("ASYNC_LAB_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
