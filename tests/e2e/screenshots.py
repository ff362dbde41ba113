"""Reference screenshots of every page for reviewers: ``make screenshots`` (or
``python -m tests.e2e.screenshots OUT_DIR``) starts the app, opens every page state of the
browser tests (student and instructor views of the lessons included) at a classroom projector's
1280×720 and at 1440×900, and writes ``OUT_DIR/<width>x<height>/<state>.png`` (the first screen)
and ``..._full.png`` (the whole page), plus ``OUT_DIR/index.html`` to look at them side by
side. Needs /usr/bin/chromium and the dev requirements (playwright)."""

from __future__ import annotations

import html
import sys
import time
from pathlib import Path

from tests.e2e.audit import charts_drawn, idle
from tests.e2e.conftest import ARGS, CHROMIUM, streamlit_server
from tests.e2e.test_teaching import LARGE, SMALL, STATES, open_state


def open_tab(name: str):
    def action(page) -> None:
        page.get_by_role("tab", name=name).click(timeout=120_000)
        idle(page)
        if name == "Watch it run":
            page.wait_for_function(
                "() => [...document.querySelectorAll('.js-plotly-plot')].some(g => "
                "g._transitionData && g._transitionData._frames && "
                "g._transitionData._frames.length)", timeout=180_000)
        else:
            charts_drawn(page)
        idle(page)
    return action


EXTRA = {  # more page states than the tests open: every tab of the Playground
    "playground_throughput": ("/", open_tab("Over time & queues"), 1),
    "playground_tasks": ("/", open_tab("Tasks & retries"), 1),
    "playground_journeys": ("/", open_tab("Request journeys"), 1),
    "playground_theory": ("/", open_tab("Theory & load sweep"), 1),
    "playground_animation": ("/?duration=60", open_tab("Watch it run"), 1),
    "lesson_instructor_quiz": ("/lessons?lesson=why_async&step=4&instructor=1", None, 0),
}


def full_page(page, path: Path) -> None:
    """Streamlit scrolls its main section, not the document: grow the viewport to the page."""
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                           "'[data-testid=stMain], [data-testid=stSidebarContent]')]"
                           ".map(e => e.scrollHeight))")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12_000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def main(out: str = "out/screenshots") -> int:
    from playwright.sync_api import sync_playwright

    folder = Path(out)
    STATES.update(EXTRA)
    server = streamlit_server("app.py")
    url = next(server)
    written: list[tuple[str, str, str]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for size in (SMALL, LARGE):
                where = folder / f"{size['width']}x{size['height']}"
                where.mkdir(parents=True, exist_ok=True)
                for state in STATES:
                    start = time.perf_counter()
                    try:
                        page = open_state(browser, url, state, size)
                        page.wait_for_timeout(500)
                        page.screenshot(path=str(where / f"{state}.png"))
                        full_page(page, where / f"{state}_full.png")
                        page.close()
                    except Exception as exc:  # one broken state must not stop the set
                        print(f"{state} at {where.name}: {type(exc).__name__}: {exc}",
                              file=sys.stderr)
                        continue
                    written.append((where.name, state, f"{time.perf_counter() - start:.1f} s"))
                    print(f"{where.name}/{state}.png")
            browser.close()
    finally:
        server.close()
    rows = "".join(f"<h2>{html.escape(size)} · {html.escape(state)}</h2>"
                   f"<img src='{size}/{state}.png' style='max-width:100%;border:1px solid #ccc'>"
                   for size, state, _t in written)
    (folder / "index.html").write_text(f"<!DOCTYPE html><html lang='en'><meta charset='utf-8'>"
                                       f"<title>Async Lab screenshots</title><body>{rows}"
                                       "</body></html>", encoding="utf-8")
    print(f"{len(written)} screenshots in {folder.resolve()} (index.html)")
    return 0


if __name__ == "__main__":
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: install chromium (apt-get install -y chromium)")
    sys.exit(main(*sys.argv[1:2]))
