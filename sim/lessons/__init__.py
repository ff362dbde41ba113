"""Lessons: Markdown files with YAML front matter, validated like scenarios, and self-checking.

A lesson file is ``---`` + YAML front matter + ``---`` + a Markdown body. The front matter holds
the structure (objectives, presets, predict-then-run steps, quiz, takeaways, references) and the
``expect`` entries: every claim the lesson makes about results, written so that a machine can
check it by running the simulator (:func:`check_lesson`). The body is the student's reading;
its ``## Demo script`` section is for instructors only, with one ``### Step: <step id>``
subsection per step.

A claim compares a metric of one preset with a metric of another preset (``than``) or with a
number (``value``). A metric is a small arithmetic expression over the summary keys
(``tasks.failed / tasks.published``), ``scenario.*`` (the preset's scenario) and ``theory.*``
(queueing-theory figures of the tier that queues: ``rho``, ``wq``, ``lq``).
Errors are one line naming the lesson file and the field, like scenario errors.
"""

from sim.lessons.claims import (
    Outcome,
    Runner,
    check,
    check_lesson,
    compare_values,
    evaluate,
    preset_mode,
    preset_scenario,
    preset_seed,
    presets_of,
    theory_of,
)
from sim.lessons.loader import (
    lesson_files,
    links,
    load_lesson,
    load_lessons,
    split_body,
    split_front_matter,
)
from sim.lessons.metric import FUNCTIONS, OPS, ROOTS, parse_metric
from sim.lessons.schema import (
    LESSON_DIR,
    LINK,
    NEEDS,
    TOPICS,
    ChoicePredict,
    Expect,
    FrontMatter,
    Id,
    Lesson,
    LessonError,
    NumberPredict,
    Option,
    Preset,
    Question,
    Reference,
    Relation,
    Step,
    Strict,
    Text,
)

__all__ = [
    "FUNCTIONS",
    "LESSON_DIR",
    "LINK",
    "NEEDS",
    "OPS",
    "ROOTS",
    "TOPICS",
    "ChoicePredict",
    "Expect",
    "FrontMatter",
    "Id",
    "Lesson",
    "LessonError",
    "NumberPredict",
    "Option",
    "Outcome",
    "Preset",
    "Question",
    "Reference",
    "Relation",
    "Runner",
    "Step",
    "Strict",
    "Text",
    "check",
    "check_lesson",
    "compare_values",
    "evaluate",
    "lesson_files",
    "links",
    "load_lesson",
    "load_lessons",
    "parse_metric",
    "preset_mode",
    "preset_scenario",
    "preset_seed",
    "presets_of",
    "split_body",
    "split_front_matter",
    "theory_of",
]
