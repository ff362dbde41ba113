"""Loading lesson files: front matter + Markdown body, one-line errors naming the file."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.lessons.schema import LESSON_DIR, LINK, FrontMatter, Lesson, LessonError, _known, _unique
from sim.scenario import (
    ScenarioError,
    bundled_ids,
    describe_error,  # the scenario errors' wording
    load_scenario,
)

# --- loading -------------------------------------------------------------------------------


def _loc(error: dict[str, Any]) -> str:
    tags = {"choice", "number"}
    return ".".join(str(p) for p in error["loc"] if p not in tags) or "front matter"


def _message(exc: ValidationError) -> str:
    """One line for the first problem, worded like scenario errors."""
    error = exc.errors()[0]
    path, kind = _loc(error), error["type"]
    if kind == "extra_forbidden":
        text = "unknown key"
    elif kind == "string_pattern_mismatch":
        text = f"must match {error['ctx']['pattern']}, got {error.get('input')!r}"
    else:
        text = describe_error(error)
    match = re.match(r"^([\w. ()]+): (.*)$", text)
    if match and kind == "value_error":
        path = f"{path}.{match[1]}" if path != "front matter" else match[1]
        text = match[2]
    return f"{path}: {text}"


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*\n(.*)$", text, re.S)
    if not match:
        raise LessonError(f"{source}: must start with a '---' front matter block")
    try:
        data = yaml.safe_load(match[1])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise LessonError(f"{source}: front matter: malformed YAML{where}") from None
    if not isinstance(data, dict):
        raise LessonError(f"{source}: front matter: must be a mapping of keys")
    return data, match[2]


def split_body(body: str, source: str, step_ids: list[str]) -> tuple[str, str, dict[str, str]]:
    """(student text, general demo script, per-step demo notes) of a lesson body."""
    parts = re.split(r"^## Demo script[ \t]*$", body, maxsplit=1, flags=re.M)
    if len(parts) != 2:
        raise LessonError(f"{source}: body: needs a '## Demo script' section")
    intro, demo = parts
    chunks = re.split(r"^### Step: *([a-z0-9_]+)[ \t]*$", demo, flags=re.M)
    notes = {chunks[i]: chunks[i + 1].strip() for i in range(1, len(chunks), 2)}
    _try(source, "body.Demo script", _known, "Step", list(notes), step_ids)
    missing = [s for s in step_ids if s not in notes]
    if missing:
        raise LessonError(f"{source}: body.Demo script: no '### Step: {missing[0]}' notes")
    return intro.strip(), chunks[0].strip(), notes


def _try(source: str, field: str, func: Callable[..., Any], *args: Any) -> Any:
    try:
        return func(*args)
    except (ValueError, ScenarioError) as exc:
        raise LessonError(f"{source}: {field}: {exc}") from None


def load_lesson(path: str | Path) -> Lesson:
    """Read and validate one lesson file (LessonError names the file and the field)."""
    path = Path(path)
    source = path.name
    data, body = split_front_matter(path.read_text(encoding="utf-8"), source)
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise LessonError(f"{source}: {_message(exc)}") from None
    for pid, preset in meta.presets.items():
        if preset.scenario not in bundled_ids():
            raise LessonError(f"{source}: presets.{pid}.scenario: no bundled scenario "
                              f"{preset.scenario!r}")
        _try(source, f"presets.{pid}.overrides", load_scenario, preset.scenario,
             preset.overrides)
    intro, demo, notes = split_body(body, source, [s.id for s in meta.steps])
    lesson = Lesson(meta, path, intro, demo, notes)
    for kind, ref in links(lesson):
        if kind == "scenario" and ref not in bundled_ids():
            raise LessonError(f"{source}: link scenario:{ref}: no such bundled scenario")
    return lesson


def links(lesson: Lesson) -> list[tuple[str, str]]:
    """Every ``(lesson:ID)`` and ``(scenario:ID)`` link in the lesson's texts."""
    texts = [lesson.intro, lesson.demo, *lesson.step_notes.values(),
             yaml.safe_dump(lesson.meta.model_dump(mode="json"), width=10_000)]
    return [(m[1], m[2]) for text in texts for m in LINK.finditer(text)]


def lesson_files(folder: str | Path = LESSON_DIR) -> list[Path]:
    """The lesson files of a folder: ``NN_name.md`` (other files, like README.md, are not)."""
    return sorted(Path(folder).glob("[0-9]*.md"))


def load_lessons(folder: str | Path = LESSON_DIR) -> list[Lesson]:
    """Every lesson in ``folder``, by ``order``; lesson ids referenced anywhere must exist."""
    lessons = sorted((load_lesson(p) for p in lesson_files(folder)),
                     key=lambda item: item.meta.order)
    ids = [item.id for item in lessons]
    _try("lessons", "id", _unique, "lessons", ids)
    for lesson in lessons:
        refs = lesson.meta.prerequisites + [r for k, r in links(lesson) if k == "lesson"]
        _try(lesson.path.name, "prerequisites / lesson links", _known, "lesson", refs, ids)
    return lessons
