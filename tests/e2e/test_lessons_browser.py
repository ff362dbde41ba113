"""A real ``streamlit run`` and headless Chromium walk through a lesson's predict-then-run step:
load the presets, see the results held back, predict, run, and read the result next to the
prediction with its charts; then the same step in instructor mode. Set ASYNC_LAB_SHOTS=DIR to
keep the screenshots."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM

CHARTS_DRAWN = "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n"

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]


def idle(page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                           timeout=60_000)


def test_predict_then_run_step_in_a_real_browser(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{server}/lessons?lesson=why_async")
        expect(page.get_by_role("heading", name="Lesson 1 · Why asynchronous?")) \
            .to_be_visible(timeout=60_000)
        run = page.get_by_role("button", name="Run the simulation")
        expect(run).to_be_disabled()
        # the quiz and the takeaways give answers away: they wait for the steps
        expect(page.get_by_text("The quiz and the key takeaways open once")).to_be_visible()
        assert page.get_by_role("heading", name="Key takeaways").count() == 0
        page.get_by_role("button", name="Load into simulator").click()
        expect(page.get_by_text("Make your prediction, then press")).to_be_visible()
        assert page.locator(".js-plotly-plot").count() == 0  # results wait for a prediction
        page.get_by_text("At least five times lower.").click()
        expect(run).to_be_enabled()
        run.click()
        expect(page.get_by_text("What the simulation shows")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("was right.")).to_be_visible()
        prediction = page.get_by_role("radiogroup").filter(has_text="At least five times lower.")
        expect(prediction.get_by_role("radio").first).to_be_disabled()  # locked once run
        expect(page.get_by_role("button", name="Try again")).to_be_visible()
        page.wait_for_function(CHARTS_DRAWN, arg=1, timeout=60_000)
        idle(page)
        assert "With the email in the background, the p95 response time is at least 5 " \
               "times lower." in page.inner_text("body")
        assert page.get_by_text("Demo script (instructor only)").count() == 0
        student = tmp_path / "lesson_student.png"
        page.mouse.move(0, 0)  # no tooltip over the screenshot
        page.screenshot(path=str(student))

        page.get_by_text("Instructor mode").click()
        expect(page.get_by_text("Demo script (instructor only)")).to_be_visible(timeout=30_000)
        idle(page)
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Step 2 of 4")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Let the room predict")).to_be_visible(timeout=30_000)
        idle(page)
        page.get_by_role("button", name="Run the simulation").click()
        claim = "In the sync design the web threads are busy more than 70 % of the time."
        expect(page.get_by_text(claim)).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name="Report (HTML)")).to_be_visible(timeout=60_000)
        page.wait_for_function(CHARTS_DRAWN, arg=1, timeout=60_000)
        idle(page)
        assert "step=2" in page.url and "instructor=1" in page.url
        teacher = tmp_path / "lesson_instructor.png"
        page.mouse.move(0, 0)
        page.screenshot(path=str(teacher))
        browser.close()
    assert student.stat().st_size > 10_000 and teacher.stat().st_size > 10_000
    keep = os.environ.get("ASYNC_LAB_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(student, Path(keep) / student.name)
        shutil.copy(teacher, Path(keep) / teacher.name)
