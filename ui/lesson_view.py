"""The reading side of a lesson: header, objectives and introduction, one predict-then-run step,
the quiz with feedback on every answer, key takeaways and references."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from sim.charts.export import fmt_value
from sim.lessons import (
    LINK,
    ChoicePredict,
    Lesson,
    NumberPredict,
    Outcome,
    Step,
    check,
    evaluate,
)
from sim.lessons.words import metric_words
from sim.scenario import ScenarioError, load_scenario
from ui import lesson_state as state


def md(text: str) -> str:
    """Markdown with ``(lesson:ID)`` links pointing at that lesson and ``(scenario:ID)`` links
    at the scenario library."""
    def link(match: re.Match[str]) -> str:
        if match[1] == "lesson":
            return f"](lessons?lesson={match[2]})"
        return f"](lessons?lesson={state.LIBRARY})"
    return LINK.sub(link, text)


def fmt(value: Any, unit: str) -> str:
    """A metric value in a prediction's unit: seconds as ms/s, shares as %, counts as numbers."""
    if value is None:
        return "–"
    if unit == "s":
        return fmt_value(value, "s")
    if unit == "%":
        return f"{value * 100:.1f} %"
    number = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{number} {unit}".strip()


def shown(value: float, unit: str) -> float:
    """The value in the unit the student types (percent for shares)."""
    return value * 100 if unit == "%" else value


def header(lesson: Lesson, titles: Mapping[str, str]) -> None:
    meta = lesson.meta
    st.title(f"Lesson {meta.order} · {meta.title}")
    before = ", ".join(f"[{titles.get(p, p)}](lessons?lesson={p})" for p in meta.prerequisites)
    st.caption(f"About {meta.minutes} minutes · topic: {meta.topic} · "
               f"{len(meta.steps)} predict-then-run steps · {len(meta.quiz)} quiz questions"
               + (f" · builds on {before}" if before else ""))
    st.markdown(f"*{meta.summary}*")


def intro(lesson: Lesson, instructor: bool) -> None:
    with st.expander("Learning objectives and introduction", expanded=not instructor):
        st.markdown("**After this lesson you can:**\n" + "\n".join(
            f"- {item}" for item in lesson.meta.objectives))
        st.markdown(md(lesson.intro))


def preset_lines(lesson: Lesson, ids: list[str]) -> str:
    """One Markdown line per preset: label, scenario, mode and changed settings."""
    lines = []
    for pid in ids:
        preset = lesson.meta.presets[pid]
        try:
            title = load_scenario(preset.scenario).title
        except ScenarioError:
            title = preset.scenario
        changes = ", ".join(f"`{k}={v}`" for k, v in preset.overrides.items()
                            if k != "faults") or "as bundled"
        mode = preset.mode or "scenario's mode"
        lines.append(f"- **{preset.label}** — {title} (`{preset.scenario}`), {mode}; {changes}")
    return "\n".join(lines)


def step(lesson: Lesson, item: Step, results: Mapping[str, Any] | None, instructor: bool,
         notes: bool = False) -> None:
    """A step: its text, the presets, the prediction, Run, and the result next to the
    prediction with the explanation and the checked claims."""
    lid, sid = lesson.id, item.id
    st.subheader(item.title)
    st.markdown(md(item.text))
    if notes:
        st.info(md(lesson.step_notes[sid]), icon=":material/record_voice_over:")
    st.markdown("**Configurations of this step**\n" + preset_lines(lesson, item.presets))
    st.button("Load into simulator", key=state.key("load", lid, sid), icon=":material/input:",
              on_click=state.load, args=(lid, sid), disabled=state.loaded(lid, sid),
              help="Put this step's configurations into the simulator panel.")
    done = state.ran(lid, sid)
    predict_widget(lesson, item, locked=done)
    chosen = st.session_state.get(state.key("pred", lid, sid))
    waiting = chosen is None and not instructor
    if done:
        st.button("Try again", key=state.key("again", lid, sid), icon=":material/replay:",
                  on_click=state.try_again, args=(lid, sid),
                  help="Forget this run and your prediction, and predict afresh.")
    else:
        st.button("Run the simulation", key=state.key("run", lid, sid), type="primary",
                  icon=":material/play_arrow:", on_click=state.run_step, args=(lid, sid),
                  disabled=waiting, help="Commit to a prediction first." if waiting else
                  "Run every configuration of this step (same traffic for all). Your "
                  "prediction is then locked.")
    if results is not None and done:
        outcome(lesson, item, results)


def predict_widget(lesson: Lesson, item: Step, locked: bool = False) -> None:
    """The prediction; once the step has run it is locked (shown, not changeable)."""
    widget = state.key("pred", lesson.id, item.id)
    kept = state.guess(lesson.id, item.id)
    predict = item.predict
    st.markdown("**Your prediction**" + (" (locked: press *Try again* to change it)"
                                         if locked else ""))
    if isinstance(predict, ChoicePredict):
        index = None if widget in st.session_state else kept
        st.radio(predict.question, list(range(len(predict.options))), index=index, key=widget,
                 format_func=lambda i: predict.options[i].text, disabled=locked)
    else:
        value = None if widget in st.session_state else kept
        st.number_input(f"{predict.question} ({predict.unit})" if predict.unit else
                        predict.question, value=value, key=widget, min_value=0.0,
                        placeholder="your estimate", format="%g", disabled=locked)


def outcome(lesson: Lesson, item: Step, results: Mapping[str, Any]) -> None:
    st.markdown("**What the simulation shows**")
    chosen = state.guess(lesson.id, item.id)
    if isinstance(item.predict, ChoicePredict):
        choice_outcome(item.predict, chosen, item, results, lesson)
    else:
        number_outcome(item.predict, chosen, results, lesson)
    st.markdown(md(item.explain))
    claims(check_all(lesson, item.expect, results))


def choice_outcome(predict: ChoicePredict, chosen: int | None, item: Step,
                   results: Mapping[str, Any], lesson: Lesson) -> None:
    right = next(o for o in predict.options if o.correct)
    if chosen is None:
        st.info(f"Answer: **{right.text}** {right.feedback}")
    elif predict.options[chosen].correct:
        st.success(f"Your prediction, **{right.text}**, was right. {right.feedback}",
                   icon=":material/check_circle:")
    else:
        option = predict.options[chosen]
        st.warning(f"You predicted **{option.text}** {option.feedback} The answer: "
                   f"**{right.text}**", icon=":material/lightbulb:")
    if predict.metric:
        cells = [f"**{lesson.meta.presets[p].label}**: "
                 f"{fmt(safe_eval(predict.metric, results.get(p)), predict.unit)}"
                 for p in item.presets]
        st.markdown(f"{metric_words(predict.metric)} — " + " · ".join(cells))


def number_outcome(predict: NumberPredict, chosen: float | None,
                   results: Mapping[str, Any], lesson: Lesson) -> None:
    actual = safe_eval(predict.metric, results.get(predict.preset))
    label = lesson.meta.presets[predict.preset].label
    text = f"**{label}**: {metric_words(predict.metric)} = **{fmt(actual, predict.unit)}**"
    if chosen is None or actual is None:
        st.info(text)
        return
    target = shown(actual, predict.unit)
    error = abs(chosen - target) / abs(target) if target else abs(chosen)
    yours = f"You predicted **{chosen:g}{' ' + predict.unit if predict.unit else ''}**; {text}."
    if error <= predict.close:
        st.success(f"{yours} Close — within {predict.close:.0%}.",
                   icon=":material/check_circle:")
    else:
        st.warning(f"{yours} Off by {error:.0%}: see why below.", icon=":material/lightbulb:")


def safe_eval(metric: str, result: Any) -> Any:
    if result is None:
        return None
    try:
        return evaluate(metric, result)
    except (KeyError, TypeError, IndexError, ZeroDivisionError):
        return None


def check_all(lesson: Lesson, ids: list[str], results: Mapping[str, Any]) -> list[Outcome]:
    return [check(claim, results) for claim in lesson.claims(ids)
            if all(p in results for p in (claim.of, claim.than) if p)]


def claims(outcomes: list[Outcome]) -> None:
    """The lesson's claims for this step, each checked on the runs just shown."""
    if not outcomes:
        return
    lines = [f"- {':material/check:' if o.ok else ':material/close:'} {o.expect.claim} "
             f"<small>({o.detail})</small>" for o in outcomes]
    holds = all(o.ok for o in outcomes)
    st.caption("Every claim above is checked on these very runs:" if holds else
               "Checked on these runs (a claim that fails here is worth a discussion):")
    st.markdown("\n".join(lines), unsafe_allow_html=True)


def quiz(lesson: Lesson, instructor: bool) -> bool:
    """The quiz, once every step has run (an instructor may open it sooner): one answer per
    question, then its feedback and the right answer. Returns whether it is open."""
    st.header("Quiz", anchor=False)
    if not state.quiz_open(lesson):
        done = sum(state.ran(lesson.id, s.id) for s in lesson.meta.steps)
        st.info(f"The quiz and the key takeaways open once every step has been run "
                f"({done} of {len(lesson.meta.steps)} so far): predict first, then check.",
                icon=":material/lock:")
        if instructor:
            st.button("Open the quiz now", key=state.key("open_quiz", lesson.id),
                      on_click=state.open_quiz, args=(lesson.id,), icon=":material/lock_open:",
                      help="Show the quiz and takeaways before every step has been run.")
        return False
    for number, question in enumerate(lesson.meta.quiz, start=1):
        widget = state.key("quiz", lesson.id, question.id)
        chosen = state.answer(lesson.id, question.id)
        st.radio(f"{number}. {question.question}", list(range(len(question.options))),
                 index=None if widget in st.session_state else chosen, key=widget,
                 format_func=lambda i, q=question: q.options[i].text,
                 on_change=state.lock_answer, args=(lesson.id, question.id),
                 disabled=chosen is not None,
                 help=None if chosen is None else "One answer per question: this one is final.")
        if instructor:
            reveal(lesson, question)
        elif chosen is not None:
            feedback(question, chosen)
    return True


def feedback(question: Any, chosen: int) -> None:
    """The verdict on an answer, its explanation and, when wrong, the right answer."""
    option = question.options[chosen]
    if option.correct:
        st.success(f"Correct. {option.feedback}", icon=":material/check_circle:")
        return
    right = next(o for o in question.options if o.correct)
    st.error(f"Not quite. {option.feedback}\n\nThe answer: **{right.text}** — "
             f"{right.feedback}", icon=":material/cancel:")


def reveal(lesson: Lesson, question: Any) -> None:
    """Instructor mode: answers stay hidden until the instructor reveals them."""
    if not state.revealed(lesson.id, question.id):
        st.button("Reveal the answer", key=state.key("reveal_btn", lesson.id, question.id),
                  on_click=state.reveal, args=(lesson.id, question.id),
                  icon=":material/visibility:")
        return
    right = next(o for o in question.options if o.correct)
    st.success(f"Answer: **{right.text}** {right.feedback}", icon=":material/check_circle:")
    st.markdown("\n".join(f"- {'✓' if o.correct else '✗'} *{o.text}* — {o.feedback}"
                          for o in question.options))


def closing(lesson: Lesson, open_: bool = True) -> None:
    """Key takeaways (only once the quiz is open: they give the answers away) and references."""
    if open_:
        st.header("Key takeaways", anchor=False)
        st.markdown("\n".join(f"- {item}" for item in lesson.meta.takeaways))
    st.header("References", anchor=False)
    st.markdown("\n".join(
        f"- {f'[{ref.title}]({ref.url})' if ref.url else f'*{ref.title}*'} — {ref.source}"
        for ref in lesson.meta.references))
