"""Animation benchmarks: build time and size of the animated system view, and how fast a browser
shows and plays it. Prints figures, never asserts, always exits 0.

Run by hand: ``.venv/bin/python bench/animation.py`` (about a minute), ``--no-browser`` to skip
the Chromium part.

1. ``email_signup``, both modes (the Playground default), and a 2,000-request overloaded run
   (``email_signup`` at 40 req/s for 50 s, 10 % failing attempts: both designs overloaded):
   segments, figure build (median of 3), frames, figure JSON size (what Streamlit sends) and the
   time Streamlit's ``plotly.io.to_json`` takes on every rerun that shows it.
2. In headless Chromium (/usr/bin/chromium): the standalone HTML's time to the first drawn frame
   (plotly.js loaded from the file), and the frames shown per second at 1× and 4× (10 and 40
   asked for).
3. The Streamlit test page (tests/ui/animation_app.py, email_signup 120 s, both modes): time from
   navigation to the first drawn frame, cold (simulate + build) and warm (cached).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]
READY = """() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g._transitionData
  && g._transitionData._frames && g._transitionData._frames.length
  && g.querySelector('.main-svg .scatterlayer'))"""
CLOCK = """() => { const g = [...document.querySelectorAll('.js-plotly-plot')].find(
  g => g._transitionData && g._transitionData._frames.length);
  return g.data.find(t => t.name === 'words').text[0]; }"""


def workloads() -> dict[str, dict]:
    from sim.runner import compare
    from sim.scenario import apply_overrides, load_scenario

    base = load_scenario("email_signup")
    over = apply_overrides(base, {"duration": 50, "arrivals.rate": 40,
                                  "task.failure_rate": 0.1})
    return {"email_signup (both modes)": compare(base),
            "overloaded, 2,000 requests (both modes)": compare(over)}


def build_figures(runs: dict[str, dict], folder: Path) -> dict[str, Path]:
    import plotly.io as pio

    from sim.charts.animation import build_animation, frame_times
    from sim.charts.animation_segments import build_segments

    pages = {}
    for name, results in runs.items():
        t0 = time.perf_counter()
        for r in results.values():
            build_segments(r)
        seg = time.perf_counter() - t0
        builds = []
        for _ in range(3):
            t0 = time.perf_counter()
            fig = build_animation(results)
            builds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        spec = pio.to_json(fig, validate=False)
        to_json = time.perf_counter() - t0
        times = frame_times(fig)
        requests = sum(len(r.requests) for r in results.values())
        print(f"{name}: {requests:,} requests in all, {len(fig.frames)} frames "
              f"({times[0]:g}–{times[-1]:g} s, step {times[1] - times[0]:g} s)")
        print(f"  segments {seg * 1000:.0f} ms · build median {statistics.median(builds):.2f} s "
              f"(min {min(builds):.2f}) · figure JSON {len(spec) / 1e6:.2f} MB · "
              f"to_json {to_json * 1000:.0f} ms")
        path = folder / f"{len(pages)}.html"
        fig.write_html(path, include_plotlyjs=True)
        print(f"  standalone HTML {path.stat().st_size / 1e6:.2f} MB (4.7 MB of it plotly.js)")
        pages[name] = path
    return pages


def fps(page, seconds: float = 2.0) -> float:
    seen, t0 = {page.evaluate(CLOCK)}, time.monotonic()
    while time.monotonic() - t0 < seconds:
        seen.add(page.evaluate(CLOCK))
        page.wait_for_timeout(15)
    return (len(seen) - 1) / seconds


def browser_html(pages: dict[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, path in pages.items():
            page = browser.new_page(viewport={"width": 1300, "height": 1100})
            t0 = time.monotonic()
            page.goto(path.as_uri())
            page.wait_for_function(READY, timeout=60_000, polling=10)
            first = time.monotonic() - t0
            rates = []
            for label in ("1×", "4×"):
                page.locator(".updatemenu-button", has_text=label).first.click()
                page.wait_for_timeout(300)
                rates.append(fps(page))
            print(f"{name}: HTML first frame {first:.2f} s · plays {rates[0]:.1f} frames/s "
                  f"at 1× (10 asked), {rates[1]:.1f} at 4× (40 asked)")
            page.close()
        browser.close()


def browser_streamlit() -> None:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "streamlit", "run", "tests/ui/animation_app.py",
           "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port",
           str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for run in ("cold", "warm", "warm"):
                page = browser.new_page(viewport={"width": 1400, "height": 1200})
                t0 = time.monotonic()
                page.goto(f"{url}/?scenario=email_signup&duration=120")
                page.wait_for_function(READY, timeout=90_000, polling=10)
                print(f"Streamlit page, email_signup both modes, {run}: first frame "
                      f"{time.monotonic() - t0:.2f} s after navigation")
                page.close()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pages = build_figures(workloads(), Path(tmp))
        if args.no_browser or not Path(CHROMIUM).exists():
            print("browser part skipped")
            return 0
        try:
            browser_html(pages)
            browser_streamlit()
        except Exception as exc:  # a benchmark never fails the caller
            print(f"browser part failed: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
