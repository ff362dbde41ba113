"""Lesson front matter is validated like a scenario: a typo is one clear line naming the lesson
file and the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.lessons import LESSON_DIR, LessonError, load_lesson, load_lessons, split_front_matter

SOURCE = LESSON_DIR / "01_why_async.md"


def write(tmp_path: Path, change: Any = None, body: str | None = None,
          name: str = "09_broken.md") -> Path:
    data, original_body = split_front_matter(SOURCE.read_text(encoding="utf-8"), SOURCE.name)
    data = copy.deepcopy(data)
    if change is not None:
        change(data)
    path = tmp_path / name
    front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{front}---\n{original_body if body is None else body}",
                    encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_the_copy_itself_is_valid(tmp_path: Path) -> None:
    assert load_lesson(write(tmp_path)).id == "why_async"


def _set(*path: Any, value: Any = None, delete: bool = False):
    def change(data: dict[str, Any]) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        if delete:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return change


@pytest.mark.parametrize(("change", "expected"), [
    (_set("titel", value="x"), "titel: unknown key"),
    (_set("minutes", value=40), "minutes: must be ≤ 15, got 40"),
    (_set("minutes", value="ten"), "minutes: must be a whole number, got 'ten'"),
    (_set("topic", value="cooking"), "topic: must be one of 'basics', 'retries'"),
    (_set("summary", delete=True), "summary: is required"),
    (_set("steps", 0, "predict", "kind", value="essay"), "steps.0.predict: "),
    (_set("steps", 0, "predict", "options", 2, "correct", value=False),
     "steps.0.predict.options: exactly one option must have correct: true"),
    (_set("quiz", 1, "options", 0, "feedback", value=""),
     "quiz.1.options: every option needs feedback"),
    (_set("quiz", 0, "options", 1, "correct", value=False),
     "quiz.0.options: exactly one option must have correct: true"),
    (_set("steps", 1, "presets", value=["inline", "nowhere"]),
     "steps.1.presets: unknown id 'nowhere'"),
    (_set("steps", 0, "expect", value=["no_such_claim"]),
     "steps.0.expect: unknown id 'no_such_claim'"),
    (_set("expect", 0, "than", value="ghost"), "expect.0.than: unknown id 'ghost'"),
    (_set("expect", 0, "factor", delete=True), "expect.0.factor: needed by relation"),
    (_set("expect", 0, "relation", value="bigger"),
     "expect.0.relation: must be one of 'less_than'"),
    (_set("expect", 0, "metric", value="response_tme_s.p95"),
     "expect.0.metric: unknown name 'response_tme_s'"),
    (_set("expect", 0, "metric", value="__import__('os')"), "expect.0.metric: "),
    (_set("expect", 1, "than", value="inline"), "expect.1.than: give either than"),
    (_set("references", 0, "url", value="ftp://x"), "references.0.url: must match ^https?://, got 'ftp://x'"),
    (_set("presets", "inline", "scenario", value="email_signupp"),
     "presets.inline.scenario: no bundled scenario 'email_signupp'"),
    (_set("presets", "inline", "overrides", value={"workers.count": 0}),
     "presets.inline.overrides: workers.count: must be ≥ 1, got 0"),
    (_set("presets", "inline", "overrides", value={"workers.cuont": 2}),
     "presets.inline.overrides: workers.cuont: unknown key"),
    (_set("presets", "background", "label", value="sync: email inline"),
     "presets (label): ids must be unique"),
])
def test_errors_name_the_file_and_the_field(tmp_path: Path, change, expected: str) -> None:
    message = error_of(write(tmp_path, change))
    assert message.startswith("09_broken.md: "), message
    assert expected in message, message


def test_body_needs_a_demo_script_with_notes_for_every_step(tmp_path: Path) -> None:
    text = SOURCE.read_text(encoding="utf-8").split("---\n", 2)[2]
    no_demo = text.split("## Demo script")[0]
    assert "body: needs a '## Demo script' section" in error_of(write(tmp_path, body=no_demo))
    missing = text.replace("### Step: long_jobs", "### Long jobs")
    assert "no '### Step: long_jobs' notes" in error_of(write(tmp_path, body=missing))
    unknown = text.replace("### Step: long_jobs", "### Step: long_job")
    assert "unknown id 'long_job'" in error_of(write(tmp_path, body=unknown))


def test_links_must_point_at_existing_ids(tmp_path: Path) -> None:
    body = SOURCE.read_text(encoding="utf-8").split("---\n", 2)[2]
    bad = body.replace("Two words used", "See [the lab](scenario:no_such_scenario). Two words")
    assert "link scenario:no_such_scenario" in error_of(write(tmp_path, body=bad))
    folder = tmp_path / "set"
    folder.mkdir()
    lesson_link = body.replace("Two words used", "See [next](lesson:no_such_lesson). Two words")
    write(folder, body=lesson_link, name="01_why_async.md")
    with pytest.raises(LessonError, match=r"01_why_async\.md: .*'no_such_lesson'"):
        load_lessons(folder)


def test_duplicate_lesson_ids_and_bad_yaml_are_reported(tmp_path: Path) -> None:
    write(tmp_path, name="10_a.md")
    write(tmp_path, name="11_b.md")
    (tmp_path / "README.md").write_text("not a lesson\n", encoding="utf-8")
    with pytest.raises(LessonError, match="ids must be unique, repeated: why_async"):
        load_lessons(tmp_path)
    broken = tmp_path / "c.md"
    broken.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    assert error_of(broken).startswith("c.md: front matter: malformed YAML at line")
    plain = tmp_path / "d.md"
    plain.write_text("# no front matter\n", encoding="utf-8")
    assert "must start with a '---' front matter block" in error_of(plain)
