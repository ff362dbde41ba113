"""A real server under hostile links (Playwright + Chromium).

1. One session opens a link with a YAML alias bomb while a second session loads the Playground:
   the second draws its chart as fast as beside an ordinary student (the issue's target: within
   15 s), the first says "Link ignored", and the server's memory stays under 600 MB the whole
   time. The seconds and megabytes go to ``out/hostile_timings.json``.
2. A session starts a long run (a valid link: 10,000 requests/s on 1,000 workers) and closes
   its tab: the run stops (the server's CPU goes quiet) and its memory returns near idle.
Figures are printed; the timings are asserted only as ratios measured in the same test.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ARGS, CHROMIUM, SERVER_PIDS, streamlit_server
from tests.hostile.corpus import flow_bomb

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")]
psutil = pytest.importorskip("psutil")
CHART = ".js-plotly-plot .main-svg"
ROUNDS = 3  # each: the page alone, beside another student, beside the bomb link
NOISE = 1.5  # how much slower than beside a student still counts as "the same" on a busy box
HANG_GUARD_MS = 120_000  # a page that never draws fails here instead of hanging the suite
OUT = Path(__file__).resolve().parents[2] / "out" / "hostile_timings.json"
QUIET = 0.05  # share of a core an idle Streamlit server stays under
LONG_RUN = urllib.parse.urlencode({"mode": "async", "arrivals.rate": 10_000, "web.workers": 500,
                                   "workers.count": 1000, "workers.concurrency": 16})


class Memory:
    """Samples a process's resident memory every 0.1 s in a thread."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def now(self) -> float:
        return self.proc.memory_info().rss / 2**20

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_share(proc, seconds: float = 1.0) -> float:
    """Share of one core the process used over the next ``seconds``."""
    before = sum(proc.cpu_times()[:2])
    time.sleep(seconds)
    return (sum(proc.cpu_times()[:2]) - before) / seconds


@pytest.fixture(scope="module")
def patient_server() -> Iterator[str]:
    """The app with a long time budget per run, so only closing the tab can stop one."""
    yield from streamlit_server("app.py", env={"ASYNC_LAB_RUN_BUDGET_S": "900"})


def chart_after(page, url: str, others: list) -> float:
    """Seconds from navigation until ``page`` draws its first chart, while each of ``others``
    (page, url) opens its own link at the same moment."""
    for other, link in others:
        other.goto(link, wait_until="commit")
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(CHART, timeout=HANG_GUARD_MS)
    return time.perf_counter() - t0


def server_cpu_s(proc, page, url: str, ready: str) -> float:
    """CPU seconds the server spends on one session opening ``url`` until ``ready`` (a JS
    condition) holds in its page and the server is quiet again."""
    before = sum(proc.cpu_times()[:2])
    page.goto(url)
    page.wait_for_function(ready, timeout=HANG_GUARD_MS)
    while cpu_share(proc, 0.5) > QUIET:
        pass
    return sum(proc.cpu_times()[:2]) - before - 0.5 * QUIET


def test_a_bomb_link_leaves_the_server_answering_others(server: str) -> None:
    """A student's Playground beside the bomb link takes no longer than beside another
    student's ordinary Playground (the same page the bomb link falls back to), measured in
    rounds on the same server; the figures go to out/hostile_timings.json."""
    from playwright.sync_api import sync_playwright

    bomb_link = f"{server}/?" + urllib.parse.urlencode({"arrivals.rate": flow_bomb(9)})
    assert len(bomb_link) < 2000
    times: dict[str, list[float]] = {"alone": [], "beside_a_student": [], "beside_the_bomb": []}
    with Memory(SERVER_PIDS[server]) as memory, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def fresh():
            return browser.new_context().new_page()

        chart_after(fresh(), server, [])  # the first load warms the server
        proc = psutil.Process(SERVER_PIDS[server])
        has_chart = f"() => document.querySelector('{CHART}') !== null"
        cpu = {"plain_session": server_cpu_s(proc, fresh(), server, has_chart),
               "bomb_session": server_cpu_s(proc, fresh(), bomb_link,
                                            "() => document.body.innerText.includes("
                                            "'Link ignored') && " + has_chart[6:])}
        texts = []
        for _ in range(ROUNDS):
            times["alone"].append(chart_after(fresh(), server, []))
            times["beside_a_student"].append(chart_after(fresh(), server, [(fresh(), server)]))
            attacker = fresh()
            times["beside_the_bomb"].append(chart_after(fresh(), server, [(attacker, bomb_link)]))
            attacker.wait_for_function("() => document.body.innerText.includes('Link ignored')",
                                       timeout=HANG_GUARD_MS)
            texts.append(attacker.inner_text("body"))
            for context in browser.contexts:
                context.close()
        browser.close()
    figures = {name: round(statistics.median(values), 2) for name, values in times.items()}
    record = {"seconds": {k: [round(v, 2) for v in vs] for k, vs in times.items()},
              "median_s": figures, "server_peak_rss_mb": round(memory.peak),
              "server_cpu_s_per_session": {k: round(v, 2) for k, v in cpu.items()},
              "issue_bounds": {"second_session_s": 15, "server_rss_mb": 600}}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"second session's chart, median of {ROUNDS}: {figures['beside_the_bomb']:.1f} s "
          f"beside the bomb link, {figures['beside_a_student']:.1f} s beside another student, "
          f"{figures['alone']:.1f} s alone; server peak RSS {memory.peak:.0f} MB; server CPU "
          f"per session {cpu['plain_session']:.2f} s plain, {cpu['bomb_session']:.2f} s with "
          f"the bomb link -> {OUT}")
    assert all("YAML anchors" in text and "lol" not in text for text in texts)
    assert memory.peak < 600
    # the bomb costs the server no more than an ordinary second student (with room for noise)
    assert figures["beside_the_bomb"] <= NOISE * figures["beside_a_student"], record


def test_closing_a_tab_stops_its_run_and_frees_the_memory(patient_server: str) -> None:
    from playwright.sync_api import sync_playwright

    proc = psutil.Process(SERVER_PIDS[patient_server])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        warm = browser.new_context().new_page()
        warm.goto(patient_server)
        warm.wait_for_selector(CHART, timeout=60_000)
        warm.context.close()
        deadline = time.monotonic() + 30
        while cpu_share(proc) > QUIET and time.monotonic() < deadline:
            pass
        idle = proc.memory_info().rss / 2**20
        page = browser.new_context().new_page()
        page.goto(f"{patient_server}/?" + LONG_RUN)
        busy_since = time.monotonic()
        while time.monotonic() - busy_since < 30:  # until the long run is well under way
            if proc.memory_info().rss / 2**20 > idle + 60:
                break
            time.sleep(0.2)
        during = proc.memory_info().rss / 2**20
        busy = cpu_share(proc)
        assert busy > 0.1, "the long run did not start"
        page.context.close()  # the student leaves
        closed = time.monotonic()
        while cpu_share(proc) > QUIET:
            assert time.monotonic() - closed < 30, "the run went on after the tab closed"
        quiet_after = time.monotonic() - closed
        after = proc.memory_info().rss / 2**20
        browser.close()
    print(f"idle {idle:.0f} MB, during the run {during:.0f} MB ({busy:.0%} of a core), "
          f"{quiet_after:.1f} s after "
          f"closing the tab the server was quiet at {after:.0f} MB")
    assert after < idle + 150
