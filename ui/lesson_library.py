"""The scenario library: every bundled scenario as a card, in a grid grouped by topic, with what
it teaches and the lessons that use it; a card's button opens the scenario in the Playground
(where every knob is), so nothing appears far away from the button that made it."""

from __future__ import annotations

import streamlit as st

from sim.lessons import Lesson
from sim.scenario import load_scenario
from ui import lesson_state as state
from ui import previous
from ui.catalogue import catalogue, first_sentence, topic_name

COLUMNS = 3
PLAYGROUND = "ui/pages/playground.py"
OPEN = state.key("library_open")


def used_by(lessons: list[Lesson]) -> dict[str, list[Lesson]]:
    """Scenario id -> the lessons whose presets use it."""
    found: dict[str, list[Lesson]] = {}
    for lesson in lessons:
        for sid in dict.fromkeys(p.scenario for p in lesson.meta.presets.values()):
            found.setdefault(sid, []).append(lesson)
    return found


def open_in_playground(sid: str) -> None:
    """Callback of a card: the Playground starts afresh on this scenario (its own values, its
    seed, both designs), as if opened from a link."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("pg_")]:
        del st.session_state[key]
    previous.forget("pg_")
    st.session_state["pg_view"] = {"scenario": sid, "seed": None, "mode": None,
                                   "overrides": {}}
    st.session_state[OPEN] = sid


def render(lessons: list[Lesson]) -> None:
    if st.session_state.pop(OPEN, None):
        st.switch_page(PLAYGROUND)
    st.title("Scenario library", anchor=False)
    st.caption("Every bundled scenario, by topic: what it shows and which lessons use it. "
               "Open one in the Playground to run it with every knob.")
    users = used_by(lessons)
    by_topic: dict[str, list[tuple[str, str, str]]] = {}
    for sid, topic, title, description in catalogue():
        by_topic.setdefault(topic, []).append((sid, title, description))
    for topic, rows in by_topic.items():
        st.header(topic_name(topic), anchor=False)
        for start in range(0, len(rows), COLUMNS):
            cols = st.columns(COLUMNS)
            for col, (sid, title, description) in zip(cols, rows[start:start + COLUMNS],
                                                      strict=False):
                with col:
                    card(sid, title, description, users.get(sid, []))


def card(sid: str, title: str, description: str, lessons: list[Lesson]) -> None:
    with st.container(border=True, height="stretch"):
        st.markdown(f"**{title}**")
        st.caption(f"`{sid}` · {_facts(sid)}")
        st.markdown(first_sentence(description))
        if lessons:
            st.markdown("Used in " + ", ".join(
                f"[{item.meta.order}. {item.meta.title}](lessons?lesson={item.id})"
                for item in lessons))
        st.button("Open in the Playground", key=state.key("library_open", sid),
                  icon=":material/tune:", type="primary", on_click=open_in_playground,
                  args=(sid,), help=f"Run '{title}' in both designs, with every knob.")


def _facts(sid: str) -> str:
    sc = load_scenario(sid)
    return (f"{sc.arrivals.rate:g} req/s, {sc.duration:g} s, "
            f"{sc.workers.count} × {sc.workers.concurrency} workers, {sc.broker.kind}")
