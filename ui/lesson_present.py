"""Instructor mode: the presenter view (larger type and charts for a projector), step-through
with Previous / Next, and the lesson's demo script, which students never see."""

from __future__ import annotations

import streamlit as st

from sim.lessons import Lesson
from ui import lesson_state as state
from ui.lesson_view import md

PRESENTER_CSS = """<style>
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 3rem; padding-right: 3rem; }
[data-testid="stMain"] [data-testid="stMarkdown"] p,
[data-testid="stMain"] [data-testid="stMarkdown"] li,
[data-testid="stMain"] [data-testid="stAlert"] p { font-size: 1.35rem; line-height: 1.5; }
[data-testid="stMain"] [data-testid="stRadio"] label p { font-size: 1.25rem; }
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.3rem; }
[data-testid="stMain"] h1 { font-size: 3rem !important; }
[data-testid="stMain"] h2 { font-size: 2.2rem !important; }
[data-testid="stMain"] h3 { font-size: 1.8rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] * {
  font-size: clamp(1.4rem, 3.6cqi, 2.4rem) !important; }
[data-testid="stMain"] [class*="st-key-kpirow_"] [data-testid="stColumn"] {
  min-width: min(9rem, 100%); }
[data-testid="stMain"] button p { font-size: 1.15rem; }
</style>"""


def presenter_style() -> None:
    st.html(PRESENTER_CSS)


def demo_script(lesson: Lesson) -> None:
    with st.expander("Demo script (instructor only)", expanded=False,
                     icon=":material/record_voice_over:"):
        st.markdown(md(lesson.demo))


def navigation(lesson: Lesson, instructor: bool) -> None:
    """Previous / Next through the steps; in instructor mode each step's presets load at once."""
    index, steps = state.step_index(lesson), lesson.meta.steps
    left, middle, right = st.columns([1, 4, 1], vertical_alignment="center")
    left.button("Previous", key=state.key("prev"), icon=":material/arrow_back:",
                disabled=index == 0, on_click=state.go, args=(lesson, -1, instructor),
                width="stretch")
    done = sum(state.ran(lesson.id, s.id) for s in steps)
    middle.markdown(f"<div style='text-align:center'><b>Step {index + 1} of {len(steps)}</b>"
                    f" · {steps[index].title}<br><small>{done} of {len(steps)} steps run"
                    f"</small></div>", unsafe_allow_html=True)
    right.button("Next", key=state.key("next"), icon=":material/arrow_forward:",
                 icon_position="right", disabled=index == len(steps) - 1,
                 on_click=state.go, args=(lesson, 1, instructor), width="stretch")
