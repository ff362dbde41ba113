"""A Plotly chart on a page, drawn with plotly.js's basic bundle.

Streamlit's ``st.plotly_chart`` loads the whole of plotly.js (4.7 MB with its wrapper) before it
draws the first chart; evaluating it is most of the wait for a new visitor's first chart. Our
charts use only scatter and bar traces, so this component draws them with plotly.js's basic
bundle (scatter, bar, pie: 1.2 MB), the same plotly.js version as the Python ``plotly``
package, vendored in ``static/`` (MIT licence) and served by Streamlit's static file serving
(``.streamlit/config.toml``). It is loaded once per browser page; the figures look exactly as
before, and the same figures are what the Download menus export.

The chart keeps Streamlit's conventions: the full width of its column, the figure's height
(Plotly's 450 px by default), a text alternative (``role="figure"`` and ``aria-label``) and a
full-screen button. A figure with another trace type is refused here, in Python, with a message
naming it (the basic bundle could not draw it); ``tests/unit/test_plotly_bundle.py`` checks that
every chart the app builds fits, and that the bundle's version is the Python package's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

BUNDLE = "plotly-basic-4.1.1.min.js"
SRC = f"app/static/{BUNDLE}"  # relative to the page's address (Streamlit's static serving)
BUNDLE_PATH = Path(__file__).resolve().parents[1] / "static" / BUNDLE
TRACE_TYPES = frozenset({"scatter", "bar", "pie"})  # what the basic bundle draws

CSS = """
.al-chart { position: relative; width: 100%; background: #fff; }
.al-chart-full { position: absolute; top: 0; left: 0; z-index: 2; width: 2rem; height: 2rem;
  padding: 0; border: 1px solid #8b8d98; border-radius: 0.4rem; background: #fff;
  color: #31333f; font-size: 1rem; line-height: 1; cursor: pointer; opacity: 0; }
.al-chart-right .al-chart-full { left: auto; right: 0; }
.al-chart:hover .al-chart-full, .al-chart-full:focus-visible { opacity: 1; }
.al-chart-full:focus-visible { outline: 3px solid #0072B2; outline-offset: 2px; }
"""

COMPONENT = "async_lab_plotly"
_render = st.components.v2.component(
    COMPONENT,
    js=(Path(__file__).with_suffix(".js")).read_text(encoding="utf-8"),
    css=CSS,
    isolate_styles=False,  # in the page itself, so Plotly's own style sheet applies
)


class UnsupportedTrace(ValueError):
    """A figure has a trace type the basic bundle cannot draw."""


def plotly_chart(fig: Any, key: str, alt: str, config: dict[str, Any] | None = None,
                 corner: str = "left") -> None:
    """Draw ``fig`` (a plotly Figure) across its column; ``alt`` is its text alternative. The
    full-screen button sits in the top ``corner`` ("left": clear of the title and of Plotly's
    modebar on the right; "right" for a figure with its own buttons top left)."""
    other = sorted({trace.type for trace in fig.data} - TRACE_TYPES)
    if other:
        raise UnsupportedTrace(f"chart {key!r}: trace type {', '.join(other)} is not in "
                               "plotly.js's basic bundle (it draws "
                               f"{', '.join(sorted(TRACE_TYPES))})")
    # Streamlit keeps "__" in a component's key for itself
    data = {"spec": fig.to_json(), "config": config or {}, "alt": alt, "src": SRC,
            "corner": corner}
    _render(key=key.replace("__", "_~"), data=data)
