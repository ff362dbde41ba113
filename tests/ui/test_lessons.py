"""The Lessons page through Streamlit's AppTest: every lesson in student and instructor mode,
predict-then-run, quiz marking, hidden answers, presenter step-through, the scenario library."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.charts.titles import plain_title
from sim.lessons import ChoicePredict, load_lessons
from sim.scenario import bundled_ids
from tests.ui.charts import chart_specs

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LESSONS = load_lessons()
IDS = [lesson.id for lesson in LESSONS]
BY_ID = {lesson.id: lesson for lesson in LESSONS}


def page(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("ui/pages/lessons.py")
    at.query_params.update(params)
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "info", "success", "warning", "error", "caption")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def expander_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def chart_titles(at: AppTest) -> list[str]:
    return [plain_title(spec["layout"]["title"]["text"]) for spec in chart_specs(at)]


def menus(at: AppTest) -> list[str]:
    """The labels of the popover buttons on the page ("Download", "In numbers", ...)."""
    return [b.proto.popover.label for b in at.get("popover")]


def button(at: AppTest, *parts: str):
    return at.button(key="ls_" + "_".join(parts))


@pytest.mark.parametrize("lesson_id", IDS)
def test_lesson_renders_for_a_student(lesson_id: str) -> None:
    lesson = BY_ID[lesson_id]
    at = page(lesson=lesson_id)
    assert not at.exception and not at.error
    assert at.title[0].value == f"Lesson {lesson.meta.order} · {lesson.meta.title}"
    shown = texts(at)
    assert lesson.meta.objectives[0] in shown
    assert lesson.meta.steps[0].title in [s.value for s in at.subheader]
    assert not any("Demo script" in label for label in expander_labels(at))
    assert lesson.step_notes[lesson.meta.steps[0].id][:40] not in shown
    # nothing gives the answers away before the steps have run
    assert not any(t in shown for t in lesson.meta.takeaways)
    assert not [r for r in at.radio if r.key.startswith("ls_quiz")]
    assert "The quiz and the key takeaways open once every step has been run" in shown
    run = button(at, "run", lesson_id, lesson.meta.steps[0].id)
    assert run.disabled, "Run must wait for a prediction"
    assert at.query_params["lesson"] == lesson_id


@pytest.mark.parametrize("lesson_id", IDS)
def test_presenter_steps_through_every_preset(lesson_id: str) -> None:
    """Instructor mode: every step loads with Next, runs without a prediction, draws its charts,
    and every claim of the step holds on the runs shown; Previous goes back."""
    lesson = BY_ID[lesson_id]
    at = page(lesson=lesson_id, instructor="1", step="1")
    assert not at.exception
    assert "Demo script (instructor only)" in expander_labels(at)
    assert lesson.demo.splitlines()[0][:30] in texts(at)
    for index, step in enumerate(lesson.meta.steps):
        assert f"Step {index + 1} of {len(lesson.meta.steps)}" in texts(at)
        assert lesson.step_notes[step.id].splitlines()[0][:30] in texts(at)
        assert button(at, "load", lesson_id, step.id).disabled  # already loaded by Next / URL
        button(at, "run", lesson_id, step.id).click().run()
        assert not at.exception and not at.error
        assert chart_titles(at), f"{step.id}: no chart"
        shown = texts(at)
        assert ":material/close:" not in shown, f"{step.id}: a claim failed in the app"
        assert all(claim.claim in shown for claim in lesson.claims(step.expect))
        assert "Download" in menus(at), "export of the step is missing"
        assert at.query_params["step"] == str(index + 1)
        if index < len(lesson.meta.steps) - 1:
            button(at, "next").click().run()
    assert button(at, "next").disabled
    button(at, "prev").click().run()
    assert f"Step {len(lesson.meta.steps) - 1} of" in texts(at)


def test_predict_then_run_shows_the_result_next_to_the_prediction() -> None:
    at = page(lesson="why_async")
    button(at, "load", "why_async", "who_waits").click().run()
    assert "Make your prediction" in texts(at)
    assert not chart_titles(at), "results stay hidden until the prediction is made"
    at.radio(key="ls_pred_why_async_who_waits").set_value(0).run()
    assert not button(at, "run", "why_async", "who_waits").disabled
    button(at, "run", "why_async", "who_waits").click().run()
    assert not at.exception
    warning = at.warning[0].value
    assert "You predicted **About the same" in warning and "At least five times lower" in warning
    assert any(t.startswith("Response time") for t in chart_titles(at))
    assert "p95 response time (answered requests only)" in texts(at)
    assert "response_time_s" not in texts(at)  # students read words, not summary keys
    kpis = [m.label for m in at.metric]
    assert kpis.count("p95 user wait") == 2


def test_number_prediction_is_compared_with_the_simulation() -> None:
    at = page(lesson="why_async", step="2")
    at.number_input(key="ls_pred_why_async_threads_used_up").set_value(85.0).run()
    button(at, "run", "why_async", "threads_used_up").click().run()
    assert "You predicted **85 %**" in at.success[0].value and "Close" in at.success[0].value
    assert at.number_input(key="ls_pred_why_async_threads_used_up").disabled  # locked
    button(at, "again", "why_async", "threads_used_up").click().run()
    assert not at.number_input(key="ls_pred_why_async_threads_used_up").disabled
    assert at.number_input(key="ls_pred_why_async_threads_used_up").value is None
    assert not at.success and not at.warning, "the old outcome is gone"
    at.number_input(key="ls_pred_why_async_threads_used_up").set_value(10.0).run()
    button(at, "run", "why_async", "threads_used_up").click().run()
    assert "Off by" in at.warning[0].value


def open_quiz(at: AppTest, lesson_id: str) -> AppTest:
    """Open the quiz as if every step had run (the quiz is gated behind the steps)."""
    at.session_state[f"ls_quiz_open_{lesson_id}"] = True
    return at.run()


@pytest.mark.parametrize("lesson_id", IDS)
def test_quiz_takes_one_answer_per_question_and_explains_it(lesson_id: str) -> None:
    lesson = BY_ID[lesson_id]
    for want_right in (True, False):
        at = open_quiz(page(lesson=lesson_id), lesson_id)
        assert lesson.meta.takeaways[0] in texts(at)
        picks = {}
        for question in lesson.meta.quiz:
            picks[question.id] = next(i for i, o in enumerate(question.options)
                                      if o.correct == want_right)
            at.radio(key=f"ls_quiz_{lesson_id}_{question.id}").set_value(picks[question.id])
        at.run()
        right, wrong = [s.value for s in at.success], [e.value for e in at.error]
        for question in lesson.meta.quiz:
            radio = at.radio(key=f"ls_quiz_{lesson_id}_{question.id}")
            assert radio.disabled, "one answer per question"
            option = question.options[picks[question.id]]
            if want_right:
                assert f"Correct. {option.feedback}" in right
            else:
                answer = next(o for o in question.options if o.correct)
                assert any(f"Not quite. {option.feedback}" in w and answer.text in w
                           and answer.feedback in w for w in wrong), question.id
        first = lesson.meta.quiz[0]
        assert at.session_state[f"ls_answer_{lesson_id}_{first.id}"] == picks[first.id]


def test_quiz_and_takeaways_wait_for_every_step_even_in_instructor_mode() -> None:
    lesson = BY_ID["why_async"]
    at = page(lesson=lesson.id, instructor="1", step="1")
    assert not [r for r in at.radio if r.key.startswith("ls_quiz")]
    assert lesson.meta.takeaways[0] not in texts(at)
    for step in lesson.meta.steps:
        at.session_state[f"ls_ran_{lesson.id}_{step.id}"] = True
    at.run()
    assert [r for r in at.radio if r.key.startswith("ls_quiz")]
    assert lesson.meta.takeaways[0] in texts(at)
    early = page(lesson=lesson.id, instructor="1")
    early.button(key=f"ls_open_quiz_{lesson.id}").click().run()
    assert [r for r in early.radio if r.key.startswith("ls_quiz")]


def test_a_prediction_is_locked_once_its_step_has_run() -> None:
    at = page(lesson="why_async")
    at.radio(key="ls_pred_why_async_who_waits").set_value(0).run()
    button(at, "run", "why_async", "who_waits").click().run()
    assert at.radio(key="ls_pred_why_async_who_waits").disabled
    assert "You predicted **About the same" in at.warning[0].value
    keys = [b.key for b in at.button]  # Run gave way to Try again
    assert "ls_again_why_async_who_waits" in keys and "ls_run_why_async_who_waits" not in keys


def test_instructor_quiz_answers_stay_hidden_until_revealed() -> None:
    lesson = BY_ID["brokers_workers"]
    question = lesson.meta.quiz[0]
    at = open_quiz(page(lesson=lesson.id, instructor="1"), lesson.id)
    wrong = next(i for i, o in enumerate(question.options) if not o.correct)
    at.radio(key=f"ls_quiz_{lesson.id}_{question.id}").set_value(wrong).run()
    correct = next(o for o in question.options if o.correct)
    assert not at.error and not any(correct.feedback in s.value for s in at.success)
    at.button(key=f"ls_reveal_btn_{lesson.id}_{question.id}").click().run()
    assert any(f"Answer: **{correct.text}**" in s.value for s in at.success)
    assert all(o.feedback in texts(at) for o in question.options)
    other = lesson.meta.quiz[1]
    assert not any(o.feedback in texts(at) for o in other.options if not o.correct)


def test_presenter_view_is_larger_and_only_in_instructor_mode() -> None:
    student = page(lesson="kafka_partitions")
    assert not any("font-size: 3rem" in str(h.proto) for h in student.get("html"))
    teacher = page(lesson="kafka_partitions", instructor="1")
    assert any("font-size: 3rem" in str(h.proto) for h in teacher.get("html"))


def test_try_your_own_change_reruns_with_the_knob() -> None:
    at = page(lesson="brokers_workers", step="2", instructor="1")
    button(at, "run", "brokers_workers", "more_workers").click().run()
    at.number_input(key="ls_tw_brokers_workers_more_workers_workers.count").set_value(1).run()
    titles = [m.value for m in at.markdown if "kpi-title" in m.value
              and "(your change)" in m.value]  # the KPI rows' names
    assert len(titles) == 3 and at.warning, "every configuration now has 1 worker: overloaded"
    at.button(key="ls_tw_brokers_workers_more_workers_reset").click().run()
    assert not [m.value for m in at.markdown if "(your change)" in m.value]


def test_scenario_library_is_a_grid_of_cards_that_open_in_the_playground() -> None:
    at = page(lesson="library")
    assert not at.exception and at.title[0].value == "Scenario library"
    assert {"Basics", "Retries", "Delivery guarantees", "Kafka", "Faults", "Load"} <= \
        {h.value for h in at.header}
    shown = texts(at)
    assert all(f"`{sid}`" in shown for sid in bundled_ids())
    opens = [b.key for b in at.button if b.key and b.key.startswith("ls_library_open_")]
    assert sorted(opens) == sorted(f"ls_library_open_{sid}" for sid in bundled_ids())
    at.button(key="ls_library_open_traffic_spike").click().run()
    assert not at.exception
    assert at.session_state["pg_scenario"] == "traffic_spike"  # now on the Playground
    assert at.title[0].value == "Playground"
    assert len([m for m in at.metric if m.label == "throughput"]) == 2


def test_the_playground_opens_the_library() -> None:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.button(key="pg_library").click().run()
    assert not at.exception and at.title[0].value == "Scenario library"


def test_unknown_lesson_in_the_link_shows_an_error_and_the_first_lesson() -> None:
    at = page(lesson="no_such_lesson")
    assert "no lesson 'no_such_lesson'" in at.error[0].value
    assert at.title[0].value.startswith("Lesson 1 ·")


def test_every_choice_prediction_has_a_metric_or_a_claim_to_show() -> None:
    for lesson in LESSONS:
        for step in lesson.meta.steps:
            if isinstance(step.predict, ChoicePredict):
                assert step.predict.metric or step.predict.expect


def test_presenter_notes_can_be_hidden_while_projecting() -> None:
    lesson = BY_ID["delivery_guarantees"]
    note = lesson.step_notes["crash"].splitlines()[0][:30]
    at = page(lesson=lesson.id, instructor="1", step="1")
    assert note in texts(at) and "Demo script (instructor only)" in expander_labels(at)
    at.toggle(key="ls_notes").set_value(False).run()
    assert note not in texts(at) and "Demo script (instructor only)" not in expander_labels(at)
    open_quiz(at, lesson.id)
    assert at.button(key=f"ls_reveal_btn_{lesson.id}_{lesson.meta.quiz[0].id}")


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium")
def test_export_this_step_writes_png_svg_html_and_a_report() -> None:
    import io
    import zipfile

    from sim.charts import build_figure
    from sim.charts.export import report_html
    from sim.lessons import preset_mode, preset_scenario
    from sim.runner import run
    from ui.lesson_panel import charts_zip

    lesson = BY_ID["why_async"]
    results = {lesson.meta.presets[p].label: run(preset_scenario(lesson, p), preset_mode(lesson, p))
               for p in ("inline", "background")}
    figures = {"response_time_ecdf": build_figure("response_time_ecdf", results)}
    with zipfile.ZipFile(io.BytesIO(charts_zip(figures))) as zf:
        names = set(zf.namelist())
        assert names == {"response_time_ecdf.html", "response_time_ecdf.png",
                         "response_time_ecdf.svg"}
        assert zf.read("response_time_ecdf.png")[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in zf.read("response_time_ecdf.svg")[:500]
    report = report_html(results, figures, title="Lesson 1 · Why asynchronous? — step 1")
    assert "Lesson 1 · Why asynchronous? — step 1" in report and "email_signup" in report
