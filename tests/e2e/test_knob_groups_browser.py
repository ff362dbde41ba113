"""In a real browser: a folded knob group has no widgets in the page (the first chart comes
sooner), unfolding it draws them with their values, and a value changed in a group that is
folded again is still in the link and the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM
from tests.e2e.test_browser import wait_for_new_chart

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]


def sliders(page) -> list[str]:
    return page.locator("[data-testid=stSidebar] [data-testid=stSlider] "
                        "[data-testid=stWidgetLabel]").all_inner_texts()


def test_a_folded_group_is_not_drawn_and_keeps_its_value(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(server + "/?scenario=email_signup&duration=20")
        fingerprint = wait_for_new_chart(page, None, timeout_s=120)
        assert any("Arrival rate" in s for s in sliders(page))
        assert not any("Max retries" in s for s in sliders(page)), sliders(page)
        retry = page.locator("[data-testid=stSidebar] [data-testid=stExpander]").filter(
            has_text="Retry").locator("summary")
        retry.click()
        box = page.locator("[data-testid=stSlider]").filter(has_text="Max retries")
        box.get_by_role("slider").focus()
        value = box.locator("[data-testid=stSliderThumbValue]").inner_text()
        page.keyboard.press("ArrowRight")
        wanted = int(value) + 1
        fingerprint = wait_for_new_chart(page, fingerprint, f"retry.max_retries={wanted}",
                                         timeout_s=120)
        retry.click()  # folded again: the widget goes, the value stays
        page.wait_for_function("() => ![...document.querySelectorAll('[data-testid=stSlider]')]"
                               ".some(s => s.innerText.includes('Max retries'))",
                               timeout=60_000)
        assert f"retry.max_retries={wanted}" in page.url
        retry.click()
        box = page.locator("[data-testid=stSlider]").filter(has_text="Max retries")
        box.wait_for(timeout=60_000)
        assert box.locator("[data-testid=stSliderThumbValue]").inner_text() == str(wanted)
        browser.close()
