"""The scenario library: every bundled scenario grouped by topic, with what it teaches, the
lessons that use it, and a one-click sync-vs-async run in the simulator panel."""

from __future__ import annotations

import streamlit as st

from sim.lessons import Lesson
from sim.scenario import load_scenario
from ui import lesson_state as state
from ui.catalogue import catalogue, topic_name
from ui.runs import figure, results_for, run_key
from ui.views import chart, kpi_rows_for, show_warnings

PICK = state.key("library_pick")
CHARTS = ("response_time_ecdf", "queues")


def used_by(lessons: list[Lesson]) -> dict[str, list[Lesson]]:
    """Scenario id -> the lessons whose presets use it."""
    found: dict[str, list[Lesson]] = {}
    for lesson in lessons:
        for sid in dict.fromkeys(p.scenario for p in lesson.meta.presets.values()):
            found.setdefault(sid, []).append(lesson)
    return found


def render(lessons: list[Lesson]) -> None:
    st.title("Scenario library")
    st.caption("Every bundled scenario, grouped by topic: what it teaches and which lessons use "
               "it. Run one here in both designs; the Playground has every knob.")
    users = used_by(lessons)
    left, right = st.columns([4, 7], gap="large")
    with left:
        topic = None
        for sid, this_topic, title, description in catalogue():
            if this_topic != topic:
                topic = this_topic
                st.header(topic_name(topic), anchor=False)
            entry(sid, title, description, users.get(sid, []))
    with right:
        run_panel()


def entry(sid: str, title: str, description: str, lessons: list[Lesson]) -> None:
    with st.container(border=True):
        st.markdown(f"**{title}** · `{sid}`")
        st.caption(description)
        if lessons:
            st.markdown("Used in: " + ", ".join(
                f"[{item.meta.order}. {item.meta.title}](lessons?lesson={item.id})"
                for item in lessons))
        st.button("Run sync vs async", key=state.key("library_run", sid),
                  icon=":material/play_arrow:", on_click=st.session_state.__setitem__,
                  args=(PICK, sid))


def run_panel() -> None:
    st.subheader("Simulator", anchor=False)
    sid = st.session_state.get(PICK)
    if sid is None:
        st.info("Pick a scenario and press **Run sync vs async**.", icon=":material/input:")
        return
    scenario = load_scenario(sid)
    st.markdown(f"**{scenario.title}** (`{sid}`), seed {scenario.seed}")
    keys = [run_key(mode, scenario, mode) for mode in ("sync", "async")]
    results = results_for(keys)
    if results is None:
        return
    kpi_rows_for(results)
    show_warnings(results)
    for name in CHARTS:
        fig = figure(name, keys)
        if fig is not None:
            chart(fig, name, f"ls_library_{name}", results)
