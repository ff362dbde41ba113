"""Where a visitor is on the Lessons page: lesson, step, instructor mode, the step loaded into the
simulator panel, the steps already run and the predictions made.

Everything lives in ``st.session_state`` under keys that start with ``ls_`` and is mirrored in the
URL (``?lesson=why_async&step=2&instructor=1``), so a link reopens the same lesson and step.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from sim.lessons import Lesson
from sim.safe_yaml import quote
from ui.state import MAX_LINK, link_length

P = "ls_"
LESSON, INSTRUCTOR, PANEL, VIEW = P + "lesson", P + "instructor", P + "panel", P + "view"
NOTES = P + "notes"
LIBRARY = "library"
STEP = re.compile(r"\d{1,6}", flags=re.ASCII)


def key(*parts: str) -> str:
    """A session-state key of this page: ``key("pred", "why_async", "who_waits")``."""
    return P + "_".join(parts)


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def restore(lessons: list[Lesson]) -> None:
    """Fill the page's widgets on a first visit: from this session's last view, else the URL."""
    if LESSON in st.session_state:
        return
    ids = [lesson.id for lesson in lessons]
    view = st.session_state.get(VIEW) or st.query_params.to_dict()
    if link_length(view) > MAX_LINK:
        st.session_state[key("error")] = (f"Link ignored: the link is longer than "
                                          f"{MAX_LINK // 1024} KB")
        view = {}
    wanted = view.get("lesson")
    if wanted and wanted not in (*ids, LIBRARY):
        st.session_state[key("error")] = (f"lesson: no lesson {quote(wanted)} (lessons: "
                                          f"{', '.join(ids)}); showing the first one")
    lid = wanted if wanted in (*ids, LIBRARY) else ids[0]
    st.session_state[LESSON] = lid
    st.session_state[INSTRUCTOR] = _flag(view.get("instructor", ""))
    step = str(view.get("step", ""))
    lesson = next((item for item in lessons if item.id == lid), None)
    if step and not STEP.fullmatch(step):
        st.session_state[key("error")] = f"Link ignored: step: must be a step number, " \
                                         f"got {quote(step)}"
    elif lesson is not None and step:
        set_step(lesson, int(step) - 1)
        if st.session_state[INSTRUCTOR]:
            load(lesson.id, lesson.meta.steps[step_index(lesson)].id)


def save(lesson_id: str, index: int | None, instructor: bool) -> None:
    """Remember the view for this session and put it in the URL."""
    params = {"lesson": lesson_id}
    if index is not None:
        params["step"] = str(index + 1)
    if instructor:
        params["instructor"] = "1"
    st.session_state[VIEW] = params
    st.query_params.from_dict(params)


def instructor() -> bool:
    return bool(st.session_state.get(INSTRUCTOR, False))


def notes() -> bool:
    """Instructor mode with the demo script and presenter notes showing (hide them while the
    screen is projected)."""
    return instructor() and bool(st.session_state.get(NOTES, True))


def step_index(lesson: Lesson) -> int:
    index = int(st.session_state.get(key("step", lesson.id), 0))
    return min(max(index, 0), len(lesson.meta.steps) - 1)


def set_step(lesson: Lesson, index: int) -> None:
    st.session_state[key("step", lesson.id)] = min(max(index, 0), len(lesson.meta.steps) - 1)


def go(lesson: Lesson, delta: int, autoload: bool) -> None:
    """Callback of Previous / Next: move by ``delta`` steps (and load the step's presets)."""
    set_step(lesson, step_index(lesson) + delta)
    if autoload:
        load(lesson.id, lesson.meta.steps[step_index(lesson)].id)


def load(lesson_id: str, step_id: str) -> None:
    """Callback of "Load into simulator": the panel now shows this step's presets."""
    st.session_state[PANEL] = (lesson_id, step_id)


def loaded(lesson_id: str, step_id: str) -> bool:
    return st.session_state.get(PANEL) == (lesson_id, step_id)


def run_step(lesson_id: str, step_id: str) -> None:
    """Callback of "Run": keep the prediction (widgets forget theirs when hidden) and run."""
    st.session_state[key("guess", lesson_id, step_id)] = st.session_state.get(
        key("pred", lesson_id, step_id))
    st.session_state[key("ran", lesson_id, step_id)] = True
    load(lesson_id, step_id)


def try_again(lesson_id: str, step_id: str) -> None:
    """Callback of "Try again": forget the run and the prediction of this step, so a new
    prediction can be made (a prediction is locked once its step has run)."""
    for name in ("ran", "guess", "pred"):
        st.session_state.pop(key(name, lesson_id, step_id), None)


def ran(lesson_id: str, step_id: str) -> bool:
    return bool(st.session_state.get(key("ran", lesson_id, step_id)))


def guess(lesson_id: str, step_id: str) -> Any:
    return st.session_state.get(key("guess", lesson_id, step_id))


def progress(lesson: Lesson) -> tuple[int, int]:
    """(steps run, quiz questions answered correctly) in this session."""
    steps = sum(ran(lesson.id, step.id) for step in lesson.meta.steps)
    right = 0
    for question in lesson.meta.quiz:
        chosen = answer(lesson.id, question.id)
        right += chosen is not None and question.options[chosen].correct
    return steps, right


def all_ran(lesson: Lesson) -> bool:
    return all(ran(lesson.id, step.id) for step in lesson.meta.steps)


def quiz_open(lesson: Lesson) -> bool:
    """The quiz and the key takeaways show once every step has been run (predict first, then
    check), or once an instructor opened them."""
    return all_ran(lesson) or bool(st.session_state.get(key("quiz_open", lesson.id)))


def open_quiz(lesson_id: str) -> None:
    """Callback of the instructor's "Open the quiz now"."""
    st.session_state[key("quiz_open", lesson_id)] = True


def lock_answer(lesson_id: str, question_id: str) -> None:
    """Callback of a quiz question: its first answer is final (one answer per question)."""
    kept = key("answer", lesson_id, question_id)
    if st.session_state.get(kept) is None:
        st.session_state[kept] = st.session_state.get(key("quiz", lesson_id, question_id))


def answer(lesson_id: str, question_id: str) -> int | None:
    """The answer given to a quiz question (None before one was chosen)."""
    return st.session_state.get(key("answer", lesson_id, question_id))


def reveal(lesson_id: str, question_id: str) -> None:
    st.session_state[key("reveal", lesson_id, question_id)] = True


def revealed(lesson_id: str, question_id: str) -> bool:
    return bool(st.session_state.get(key("reveal", lesson_id, question_id)))


def pop_error() -> str | None:
    return st.session_state.pop(key("error"), None)
