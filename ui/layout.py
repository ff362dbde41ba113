"""The page layout every page shares (one style sheet, injected once per run by ``app.py``):
a first screen without the empty band at the top, KPIs that wrap instead of ending in "…",
readable grey text, and a few helpers for compact rows.

Sized for a classroom projector (1280×720) first: the Playground's first screen holds the
scenario, the headline KPIs and the main chart.
"""

from __future__ import annotations

import hashlib

import streamlit as st

MUTED = "#595F6B"  # 6.4:1 on white: small grey text that passes WCAG AA

PAGE_CSS = f"""<style>
/* the first screen: no empty band above the title, less padding at the sides */
[data-testid="stMainBlockContainer"] {{ padding: 1rem 2rem 4rem 2rem; }}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.7rem; }}
[data-testid="stMain"] h1 {{ font-size: 2.1rem; padding: 0.1rem 0 0.2rem 0; }}
[data-testid="stMain"] h2 {{ font-size: 1.6rem; padding: 0.6rem 0 0.2rem 0; }}
[data-testid="stMain"] h3 {{ font-size: 1.3rem; padding: 0.4rem 0 0.1rem 0; }}
/* the header strip is transparent: let clicks through to what is under it */
header[data-testid="stHeader"] {{ pointer-events: none; }}
header[data-testid="stHeader"] button, header[data-testid="stHeader"] a,
header[data-testid="stHeader"] [role="button"] {{ pointer-events: auto; }}
/* KPIs: a metric never ends in "…": its column keeps a readable width and wraps to the next
   line when the row is narrow (a lesson's panel), and the number scales with its column */
[class*="st-key-kpirow_"] [data-testid="stHorizontalBlock"] {{
  flex-wrap: wrap; row-gap: 0.4rem; container-type: inline-size; }}
[class*="st-key-kpirow_"] [data-testid="stColumn"] {{ min-width: min(6.6rem, 100%); }}
@container (max-width: 760px) {{  /* a narrow panel: the run's name gets a line of its own */
  [class*="st-key-kpirow_"] [data-testid="stColumn"]:first-child {{
    flex: 1 1 100%; min-width: 100%; }}
  .kpi-title br {{ display: none; }}
  .kpi-title small::before {{ content: " — "; }}
}}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] > div {{
  font-size: clamp(1.2rem, 2.9cqi, 1.9rem); white-space: normal; overflow: visible;
  text-overflow: clip; line-height: 1.2; }}
[data-testid="stMetric"] div, [data-testid="stMetric"] p, [data-testid="stMetric"] span {{
  white-space: normal; overflow: visible; text-overflow: clip; line-height: 1.25; }}
[data-testid="stMetric"] > div > div:nth-child(3) {{ flex-wrap: wrap; }}  /* delta, "was" */
/* the run's name, first in its KPI row */
.kpi-title {{ line-height: 1.3; padding-top: 0.1rem; margin-bottom: 1rem; }}
.kpi-title small {{ color: {MUTED}; font-size: 0.85rem; }}
/* grey text dark enough to read on a projector (and for WCAG AA: 4.5:1) */
[data-testid="stCaptionContainer"] {{ opacity: 1; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] small {{ color: {MUTED}; }}
/* a locked prediction or an answered quiz question stays readable (it is disabled, not gone) */
[data-testid="stMain"] [data-testid="stWidgetLabel"][disabled] p,
[data-testid="stMain"] [data-testid="stRadioOption"][data-disabled="true"] p {{
  color: {MUTED}; }}
/* button labels wrap rather than shrink to "P." */
[data-testid="stMain"] button p {{ white-space: normal; }}
</style>"""


def page_style() -> None:
    """The shared style sheet (call once per run, before the page)."""
    st.html(PAGE_CSS)


def kpi_columns(title: str, count: int, color: str | None = None) -> list:
    """A KPI row: the run's name first ("**Sync**" and, smaller, "the job runs inside the
    request") after a square in the run's chart colour, then ``count`` columns for the
    metrics. The row wraps when it is narrow."""
    head, _, rest = title.partition(" — ")
    if color:
        head = f"<span style='color:{color}' aria-hidden='true'>■</span> {head}"
    slug = hashlib.sha1(title.encode()).hexdigest()[:10]
    with st.container(key=f"kpirow_{slug}"):  # the style sheet finds KPI rows by this key
        cols = st.columns([1.1] + [1] * count, gap="small")
    words = f"<b>{head}</b>" + (f"<br><small>{rest}</small>" if rest else "")
    cols[0].markdown(f"<div class='kpi-title'>{words}</div>", unsafe_allow_html=True)
    return cols[1:]
