"""An experiment belongs to its session in a real server (Playwright + Chromium): a student
starts a long capacity search and closes the tab; the search's worker processes stop (the
server's process tree goes quiet) instead of running on for nobody. Figures are printed."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM, SERVER_PIDS, streamlit_server

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]
psutil = pytest.importorskip("psutil")
QUIET = 0.05  # share of a core an idle server (and its idle helpers) stays under
HANG_GUARD_S = 60  # closing the tab must quiet the server long before this


@pytest.fixture(scope="module")
def patient_server() -> Iterator[str]:
    """The app with a long experiment budget, so only closing the tab can stop one."""
    yield from streamlit_server("app.py", env={"ASYNC_LAB_EXPERIMENT_BUDGET_S": "900"})


def tree_cpu_share(proc, seconds: float = 1.0) -> float:
    """Share of one core the process and all its descendants used over ``seconds``."""
    def total() -> float:
        out = 0.0
        for p in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                out += sum(p.cpu_times()[:2])
        return out

    before = total()
    time.sleep(seconds)
    return (total() - before) / seconds


def workers(proc) -> int:
    """Live pool workers: the server's descendants that use CPU (the fork server idles)."""
    busy = 0
    for p in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            busy += p.status() != psutil.STATUS_ZOMBIE and p.cpu_percent(0.2) > 5
    return busy


def start_search(page, url: str, knob: str) -> float:
    """Open the planner, size ``knob`` with 30 replications, start the search; returns when the
    first runs are under way (the time it was started, for ``time.monotonic``)."""
    page.goto(f"{url}/planner")
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Setting to size")
    box.click(timeout=60_000)
    page.get_by_role("option", name=knob).click()
    slider = page.locator("[data-testid='stSlider']").filter(has_text="Replications") \
        .get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")  # 30 replications of every setting tried
    page.wait_for_function("() => document.body.innerText.includes('30')", timeout=30_000)
    page.get_by_role("button", name="Find the smallest setting").click(timeout=30_000)
    started = time.monotonic()
    page.wait_for_function("() => document.body.innerText.includes('Searching (')",
                           timeout=60_000)  # the progress bar: runs are under way
    return started


def test_closing_the_tab_stops_a_long_search(patient_server: str) -> None:
    """The same search on two knobs of equal cost (different runs, so the shared cache does
    not help the second): one left to finish, one whose tab is closed. The closed one's
    server goes quiet in a fraction of the time the whole search takes."""
    from playwright.sync_api import sync_playwright

    proc = psutil.Process(SERVER_PIDS[patient_server])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context().new_page()
        started = start_search(page, patient_server, "Slots per worker")
        page.wait_for_function("() => document.body.innerText.includes('is the smallest "
                               "setting that') || document.body.innerText.includes("
                               "'No workers.concurrency from')",
                               timeout=HANG_GUARD_S * 5000)
        whole = time.monotonic() - started
        page.context.close()
        page = browser.new_context().new_page()
        start_search(page, patient_server, "Worker processes")
        busy = tree_cpu_share(proc)
        running = workers(proc)
        page.context.close()  # the student leaves
        closed = time.monotonic()
        while tree_cpu_share(proc) > QUIET:
            assert time.monotonic() - closed < HANG_GUARD_S, "the search went on"
        quiet_after = time.monotonic() - closed
        browser.close()
    print(f"whole search {whole:.1f} s; the other under way: {busy:.0%} of a core in the "
          f"server's tree, {running} busy worker processes; quiet {quiet_after:.1f} s after "
          f"the tab closed")
    assert busy > 0.3, "the search did not start"
    assert workers(proc) == 0
    assert quiet_after < whole / 2, "the closed tab's search ran (nearly) to its end"
