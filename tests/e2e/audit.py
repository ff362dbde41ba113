"""What the teaching-layer browser tests measure on a page: text cut to "…", chart titles,
legends and annotations that overlap, what the first screen holds, and (with axe-core) the
accessibility violations. Shared by the tests and ``tests/e2e/screenshots.py``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

IDLE = "() => !document.querySelector('[data-testid=stStatusWidget]')"

# every element that shows a KPI, a button label or a tab, cut short instead of wrapping
TRUNCATED = """() => {
  const sel = ['[data-testid=stMetric] *', '.kpi-title', '[data-testid=stMain] button',
               '[data-testid=stMain] button *', '[role=tablist]', '[data-testid=stMain] h1',
               '[data-testid=stMain] h2', '[data-testid=stMain] h3',
               '[data-testid=stMain] th', '[data-testid=stMain] td'].join(',');
  const bad = [];
  for (const e of document.querySelectorAll(sel)) {
    if (!e.getClientRects().length || e.closest('[aria-hidden=true]')) continue;
    const cs = getComputedStyle(e);
    const clips = cs.textOverflow === 'ellipsis' || ['hidden', 'clip', 'auto', 'scroll']
      .includes(cs.overflowX);
    if (clips && e.scrollWidth > e.clientWidth + 1)
      bad.push(`${e.tagName.toLowerCase()}: ${e.textContent.trim().slice(0, 50)}`);
  }
  return bad;
}"""

# pairs of title / legend / annotation / axis-title boxes that overlap in any plotly chart,
# and titles or legends that stick out of their chart
OVERLAPS = """() => {
  const box = e => { const b = e.getBoundingClientRect();
    return b.width * b.height > 0 ? b : null; };
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 &&
                        a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const bad = [];
  document.querySelectorAll('.js-plotly-plot').forEach((gd, k) => {
    if (gd._transitionData && gd._transitionData._frames &&
        gd._transitionData._frames.length) return;  // the animation is checked apart
    const svg = box(gd.querySelector('.main-svg'));
    if (!svg) return;
    const name = (gd.querySelector('.g-gtitle') || {}).textContent || `chart ${k}`;
    const parts = [];
    const add = (sel, what) => gd.querySelectorAll(sel).forEach(e => {
      const b = box(e); if (b) parts.push([what + ': ' + e.textContent.slice(0, 30), b]); });
    add('.g-gtitle', 'title'); add('g.legend', 'legend'); add('g.annotation', 'note');
    add('.g-xtitle', 'x title'); add('.g-x2title', 'x title'); add('.g-x3title', 'x title');
    for (let i = 0; i < parts.length; i++) {
      const [what, b] = parts[i];
      if ((what.startsWith('title') || what.startsWith('legend')) &&
          (b.right > svg.right + 1 || b.left < svg.left - 1 || b.top < svg.top - 1))
        bad.push(`${name.slice(0, 40)}: ${what} sticks out of the chart`);
      for (let j = i + 1; j < parts.length; j++)
        if (hit(b, parts[j][1])) bad.push(`${name.slice(0, 40)}: ${what} / ${parts[j][0]}`);
    }
  });
  return bad;
}"""

# the animation: its clock, colour key and panel titles never overlap, no text under 12 px
ANIMATION = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g =>
      g._transitionData && g._transitionData._frames && g._transitionData._frames.length);
  if (!gd) return null;
  const layers = [...gd.querySelectorAll('.scatterlayer .trace')];
  const texts = (name, keep) => {
    const i = gd._fullData.findIndex(t => t.name === name);
    if (i < 0 || !layers[i]) return [];
    return [...layers[i].querySelectorAll('.textpoint text')]
      .filter(e => keep(e.textContent)).map(e => [name + ': ' + e.textContent.slice(0, 30),
                                                  e.getBoundingClientRect(), e]);
  };
  const parts = [...texts('key', () => true), ...texts('labels', t => t.includes(' — ')),
                 ...texts('words', t => t.startsWith('t = '))];
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 &&
                        a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const overlaps = [];
  for (let i = 0; i < parts.length; i++)
    for (let j = i + 1; j < parts.length; j++)
      if (hit(parts[i][1], parts[j][1])) overlaps.push(`${parts[i][0]} / ${parts[j][0]}`);
  const small = [...gd.querySelectorAll('text')].filter(e => e.getClientRects().length &&
      e.textContent.trim() && parseFloat(getComputedStyle(e).fontSize) < 12)
      .map(e => `${e.textContent.trim().slice(0, 30)} (${getComputedStyle(e).fontSize})`);
  return {overlaps, small};
}"""

# where the KPI values and the first chart's plot are on the first screen
FIRST_SCREEN = """() => {
  const r = e => { const b = e.getBoundingClientRect(); return [b.top, b.bottom]; };
  const plot = document.querySelector('.js-plotly-plot .nsewdrag');
  const legend = document.querySelector('.js-plotly-plot g.legend');
  const h1 = document.querySelector('[data-testid=stMain] h1');
  return {height: innerHeight,
          kpis: [...document.querySelectorAll('[data-testid=stMetricValue]')].map(r),
          plot: plot ? r(plot) : null, legend: legend ? r(legend) : null,
          title: h1 ? r(h1) : null};
}"""


FULL_SCREEN_BUTTON = """() => {  // what a chart's full-screen button covers: its texts and controls
  const hit = (a, b) => a.left < b.right && b.left < a.right &&
                        a.top < b.bottom && b.top < a.bottom;
  const parts = '.updatemenu-button, .slider-container, .gtitle, .legend, .annotation-text, ' +
                '.xtitle, .ytitle, .infolayer text';
  const found = [];
  document.querySelectorAll('.al-chart').forEach(box => {
    const button = box.querySelector('.al-chart-full').getBoundingClientRect();
    box.querySelectorAll(parts).forEach(el => {
      const r = el.getBoundingClientRect();
      if (r.width && r.height && hit(button, r)) found.push(el.getAttribute('class') + ': ' +
        (el.textContent || '').slice(0, 40));
    });
  });
  return found;
}"""


def idle(page, timeout_ms: int = 90_000) -> None:
    """Wait until Streamlit has finished its run (and the page has settled)."""
    page.wait_for_timeout(250)
    page.wait_for_function(IDLE, timeout=timeout_ms, polling=50)
    page.wait_for_timeout(400)


def charts_drawn(page, count: int = 1, timeout_ms: int = 90_000) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
        arg=count, timeout=timeout_ms, polling=50)


def truncated(page) -> list[str]:
    return page.evaluate(TRUNCATED)


def overlaps(page) -> list[str]:
    return page.evaluate(OVERLAPS)


def under_full_screen_button(page) -> list[str]:
    """The chart texts and controls that a chart's full-screen button covers (none, please)."""
    return page.evaluate(FULL_SCREEN_BUTTON)


def animation(page) -> dict[str, list[str]] | None:
    return page.evaluate(ANIMATION)


def first_screen(page) -> dict[str, Any]:
    return page.evaluate(FIRST_SCREEN)


# --- axe-core ------------------------------------------------------------------------------

def axe_available() -> bool:
    return AXE.exists()


def install_axe() -> bool:
    """``npm install`` axe-core into node_modules (what ``make test`` does); True if there."""
    if AXE.exists():
        return True
    npm = shutil.which("npm")
    if npm is None:
        return False
    subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "axe-core@4"],
                   cwd=ROOT, capture_output=True, timeout=300, check=False)
    return AXE.exists()


def axe(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """The axe-core violations of the page (WCAG 2.1 A/AA and best practices) of the given
    impacts: id, impact, help and a few of the offending nodes."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
      const r = await axe.run(document, {resultTypes: ['violations']});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' +
                                       (n.failureSummary || '').slice(0, 160))}));
    }""")
    return [v for v in found if v["impact"] in impacts]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1)
