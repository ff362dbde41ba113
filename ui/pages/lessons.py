"""Lessons: guided, self-checking lessons beside a live simulator panel, with an instructor mode
(presenter view, step-through, hidden quiz answers, demo script, export of a step)."""

from __future__ import annotations

import streamlit as st

from sim.lessons import LESSON_DIR, Lesson, LessonError, lesson_files, load_lessons
from ui import lesson_library, lesson_panel, lesson_present, lesson_view
from ui import lesson_state as state


@st.cache_resource(max_entries=4, show_spinner=False)
def _lessons(signature: tuple[tuple[str, float], ...]) -> list[Lesson]:
    return load_lessons(LESSON_DIR)


def lessons() -> list[Lesson]:
    """Every lesson, reloaded when a lesson file changes."""
    return _lessons(tuple((p.name, p.stat().st_mtime) for p in lesson_files(LESSON_DIR)))


def sidebar(items: list[Lesson]) -> None:
    titles = {item.id: f"{item.meta.order}. {item.meta.title} ({item.meta.minutes} min)"
              for item in items}
    titles[state.LIBRARY] = "Scenario library"
    with st.sidebar:
        st.selectbox("Lesson", list(titles), key=state.LESSON, format_func=titles.get,
                     help="Nine lessons of 5 to 15 minutes, in course order.")
        st.toggle("Instructor mode", key=state.INSTRUCTOR,
                  help="Presenter view for a projector: larger type and charts, Previous / "
                  "Next through the steps, quiz answers hidden until revealed, the demo "
                  "script, and export of each step for slides.")
        if state.instructor():
            st.toggle("Presenter notes", key=state.NOTES, value=True,
                      help="Show the demo script and each step's notes. Turn them off while "
                      "the screen is projected, so the room does not read the answers.")
        lesson = next((item for item in items if item.id == st.session_state[state.LESSON]),
                      None)
        if lesson is not None and not state.instructor():
            steps, right = state.progress(lesson)
            st.caption(f"Your progress: {steps} of {len(lesson.meta.steps)} steps run, "
                       f"{right} of {len(lesson.meta.quiz)} quiz answers right.")


def render() -> None:
    try:
        items = lessons()
    except LessonError as exc:
        st.error(f"A lesson file is not valid: {exc}")
        return
    state.restore(items)
    sidebar(items)
    error = state.pop_error()
    if error:
        st.error(error)
    lid, instructor = st.session_state[state.LESSON], state.instructor()
    if lid == state.LIBRARY:
        state.save(lid, None, instructor)
        lesson_library.render(items)
        return
    lesson = next(item for item in items if item.id == lid)
    if instructor:
        lesson_present.presenter_style()
    lesson_view.header(lesson, {item.id: item.meta.title for item in items})
    if state.notes():
        lesson_present.demo_script(lesson)
    lesson_view.intro(lesson, instructor)
    st.header("Predict, then run", anchor=False)
    lesson_present.navigation(lesson, instructor)
    index = state.step_index(lesson)
    item = lesson.meta.steps[index]
    results = lesson_panel.claim_results(lesson, item) if state.ran(lesson.id, item.id) \
        else None
    left, right = st.columns([4, 7], gap="large")
    with left:
        lesson_view.step(lesson, item, results, instructor, state.notes())
    with right:
        lesson_panel.panel(lesson, item, instructor)
    st.divider()
    lesson_view.closing(lesson, lesson_view.quiz(lesson, instructor))
    state.save(lesson.id, index, instructor)


render()
