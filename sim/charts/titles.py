"""Titles, subtitles, captions and legends that never collide and are never cut off.

A chart title is split into a short title and a smaller subtitle ("p95 response time over time"
/ "1.2-s windows, by arrival"), both wrapped to fit a narrow column (a lesson's simulator panel
at 1280 px is about 560 px wide). The legend sits under the plot, in the figure's own space,
and the figure grows by the rows it is likely to need, so a long legend never covers the title
or squeezes the plot. :func:`caption` adds the line that says where an exported chart came from.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import plotly.graph_objects as go

from sim.charts.palette import MUTED

TITLE_CHARS = 48  # a line of the 18-px title in a ~560-px column
SUB_CHARS = 72  # a line of the 13-px subtitle
LEGEND_WIDTH = 520  # px a legend row can use in the narrowest column the app draws
LEGEND_ROW = 24  # px of one legend row at 14 px
PANEL_TITLE = 26  # px the subplot titles on the top edge need under the chart's title


def split_title(text: str) -> tuple[str, str]:
    """("Journey of 20 sampled requests", "async") from "Journey of 20 sampled requests —
    async"; a trailing "(...)" also becomes the subtitle, and so does what follows the colon
    of a long title."""
    head, sub = text, ""
    if " — " in text:
        head, _, sub = (part.strip() for part in text.partition(" — "))
    elif match := re.fullmatch(r"(.+?)\s*\(([^()]*)\)\s*", text):
        head, sub = match[1], match[2]
    if len(head) > TITLE_CHARS and ": " in head:  # "Response time: share of requests ..."
        head, _, rest = head.partition(": ")
        sub = f"{rest} · {sub}" if sub else rest
    return head, sub


def wrap(text: str, width: int) -> str:
    """Plotly has no automatic wrapping: break ``text`` into lines of at most ``width``
    characters with <br> (HTML tags in it are kept whole)."""
    if not text or len(text) <= width or "<" in text:
        return text
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False))


def _legend_names(fig: go.Figure) -> list[str]:
    names, groups = [], set()
    for trace in fig.data:
        if trace.showlegend is False or not trace.name:
            continue
        group = trace.legendgroup
        if group and group in groups:
            continue
        groups.add(group)
        names.append(str(trace.name))
    return names


def legend_rows(fig: go.Figure, width: int = LEGEND_WIDTH) -> int:
    """Rows a horizontal legend of ``fig`` takes in a ``width``-px wide figure (an estimate:
    ~7.7 px per character at 14 px, plus the symbol)."""
    rows, used = 0, width
    for name in _legend_names(fig):
        item = 46 + 7.7 * len(re.sub(r"<[^>]+>", "", name))
        if used + item > width:
            rows, used = rows + 1, 0
        used += item
    return rows


def _panel_titles_on_top(fig: go.Figure) -> bool:
    """Whether subplot titles sit on the top edge of the plot (where the title block ends)."""
    return any(a.yref == "paper" and a.yanchor == "bottom" and (a.y or 0) >= 0.99
               and a.text for a in fig.layout.annotations or ())


def title_layout(fig: go.Figure, title: str, height: int) -> dict[str, Any]:
    """Layout of the title, subtitle and legend of a chart of ``height`` px of plot and title
    (the figure grows by the legend rows beyond the first)."""
    main, sub = split_title(title)
    rows = legend_rows(fig)
    text = wrap(main, TITLE_CHARS)
    if sub:  # plotly's own subtitle overlaps the plot when it wraps: one block of text instead
        text += f"<br><span style='font-size:13px;color:{MUTED}'>{wrap(sub, SUB_CHARS)}</span>"
    return {
        "height": height + LEGEND_ROW * max(0, rows - 1),
        "title": {"text": text, "x": 0, "xref": "paper", "xanchor": "left", "yref": "paper",
                  "y": 1, "yanchor": "bottom", "automargin": True,
                  "pad": {"b": 10 + PANEL_TITLE * _panel_titles_on_top(fig)},
                  "font": {"size": 18}},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "xref": "paper",
                   "yref": "container", "y": 0, "yanchor": "bottom", "font": {"size": 13}},
        "margin": {"l": 70, "r": 30, "t": 30, "b": 12, "autoexpand": True},
    }


def full_title(fig: go.Figure) -> str:
    """The title and subtitle of ``fig`` as one plain line ("title — subtitle")."""
    return plain_title(fig.layout.title.text or "")


def plain_title(text: str) -> str:
    """A title text as one plain line: "title — subtitle", without HTML."""
    main, _, sub = text.partition("<br><span")
    plain = [re.sub(r"<[^>]+>", "", part.replace("<br>", " ")).strip()
             for part in (main, "<span" + sub if sub else "")]
    return " — ".join(p for p in plain if p)


def caption(fig: go.Figure, text: str) -> go.Figure:
    """A copy of ``fig`` with ``text`` (scenario, runs, seed, changed settings) as a small grey
    line under its title: for exports, so a chart on a slide still says where it came from.
    (Plotly cannot place a note relative to the whole figure's foot; the title block grows.)"""
    out = go.Figure(fig)
    if not text:
        return out
    lines = wrap(text, 140)
    head = out.layout.title.text or ""
    out.update_layout(title_text=f"{head}<br><span style='font-size:12px;color:{MUTED}'>"
                                 f"{lines}</span>",
                      height=(out.layout.height or 400) + 18 * (lines.count("<br>") + 1))
    return out
