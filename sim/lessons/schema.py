"""Lesson front matter: the strict schema of objectives, presets, steps, quiz and claims."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.lessons.metric import parse_metric

LESSON_DIR = Path(__file__).resolve().parents[2] / "lessons"
TOPICS = ("basics", "retries", "delivery", "kafka", "faults", "load")
LINK = re.compile(r"\]\((lesson|scenario):([A-Za-z0-9_\-]+)\)")
Id = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
Text = Annotated[str, Field(min_length=1)]


class LessonError(ValueError):
    """A lesson file that is not valid; the message names the file and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Preset(Strict):
    scenario: str
    label: Text
    mode: Literal["sync", "async"] | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = Field(default=None, ge=0)


class Option(Strict):
    text: Text
    correct: bool = False
    feedback: str = ""


def _one_correct(options: list[Option], need_feedback: bool) -> None:
    if sum(o.correct for o in options) != 1:
        raise ValueError("options: exactly one option must have correct: true")
    if need_feedback and any(not o.feedback.strip() for o in options):
        raise ValueError("options: every option needs feedback")


class ChoicePredict(Strict):
    kind: Literal["choice"] = "choice"
    question: Text
    options: list[Option] = Field(min_length=2, max_length=5)
    metric: str | None = None
    unit: str = ""
    expect: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ChoicePredict:
        _one_correct(self.options, need_feedback=False)
        return self


class NumberPredict(Strict):
    kind: Literal["number"] = "number"
    question: Text
    metric: str
    preset: str
    unit: str = ""
    close: float = Field(default=0.3, gt=0, le=10, description="relative error counted close")
    expect: list[str] = Field(default_factory=list)


class Step(Strict):
    id: Id
    title: Text
    text: Text
    presets: list[str] = Field(min_length=1, max_length=4)
    predict: Annotated[Union[ChoicePredict, NumberPredict], Field(discriminator="kind")]
    explain: Text
    expect: list[str] = Field(min_length=1)
    charts: list[str] = Field(default_factory=lambda: ["response_time_ecdf"], max_length=4)
    knobs: list[str] = Field(default_factory=list)


class Question(Strict):
    id: Id
    question: Text
    options: list[Option] = Field(min_length=2, max_length=5)
    expect: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Question:
        _one_correct(self.options, need_feedback=True)
        return self


class Reference(Strict):
    title: Text
    source: Text
    url: str | None = Field(default=None, pattern=r"^https?://")


Relation = Literal["less_than", "greater_than", "at_most", "at_least", "equal", "approx",
                   "ratio_at_least", "ratio_at_most", "between", "contains"]
NEEDS = {"ratio_at_least": ("factor",), "ratio_at_most": ("factor",), "approx": ("tolerance",),
         "between": ("low", "high")}


class Expect(Strict):
    id: Id
    claim: Text
    metric: str
    of: str
    relation: Relation
    than: str | None = None
    value: float | str | None = None
    factor: float | None = Field(default=None, gt=0)
    tolerance: float = Field(default=0.0, ge=0, le=10)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _check(self) -> Expect:
        for name in NEEDS.get(self.relation, ()):
            if getattr(self, name) is None or (name == "tolerance" and not self.tolerance):
                raise ValueError(f"{name}: needed by relation {self.relation}")
        if self.relation not in ("between",) and (self.than is None) == (self.value is None):
            raise ValueError(f"than: give either than (a preset) or value, for {self.relation}")
        if isinstance(self.value, str) != (self.relation == "contains"):
            raise ValueError("value: must be text for contains, a number otherwise")
        parse_metric(self.metric)
        return self


class FrontMatter(Strict):
    id: Id
    order: int = Field(ge=1)
    title: Text
    minutes: int = Field(ge=5, le=15)
    topic: Literal[TOPICS]  # type: ignore[valid-type]
    summary: Text
    objectives: list[Text] = Field(min_length=2, max_length=6)
    prerequisites: list[str] = Field(default_factory=list)
    presets: dict[Id, Preset] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1, max_length=6)
    quiz: list[Question] = Field(min_length=2, max_length=4)
    takeaways: list[Text] = Field(min_length=2, max_length=6)
    references: list[Reference] = Field(min_length=2)
    expect: list[Expect] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> FrontMatter:
        claims = {e.id for e in self.expect}
        _unique("steps", [s.id for s in self.steps])
        _unique("quiz", [q.id for q in self.quiz])
        _unique("expect", [e.id for e in self.expect])
        _unique("presets (label)", [p.label for p in self.presets.values()])
        for i, step in enumerate(self.steps):
            _known(f"steps.{i}.presets", step.presets, self.presets)
            _known(f"steps.{i}.expect", step.expect + step.predict.expect, claims)
            if isinstance(step.predict, NumberPredict):
                _known(f"steps.{i}.predict.preset", [step.predict.preset], step.presets)
                parse_metric(step.predict.metric)
        for i, question in enumerate(self.quiz):
            _known(f"quiz.{i}.expect", question.expect, claims)
        for i, claim in enumerate(self.expect):
            _known(f"expect.{i}.of", [claim.of], self.presets)
            _known(f"expect.{i}.than", [claim.than] if claim.than else [], self.presets)
        return self


def _unique(field: str, ids: list[str]) -> None:
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"{field}: ids must be unique, repeated: {', '.join(twice)}")


def _known(field: str, ids: list[str], known: Any) -> None:
    for name in ids:
        if name not in known:
            raise ValueError(f"{field}: unknown id {name!r} (known: {', '.join(sorted(known))})")


@dataclass(frozen=True)
class Lesson:
    """A loaded lesson: its validated front matter and the parts of its Markdown body."""

    meta: FrontMatter
    path: Path
    intro: str
    demo: str
    step_notes: dict[str, str]

    @property
    def id(self) -> str:
        return self.meta.id

    def step(self, step_id: str) -> Step:
        return next(s for s in self.meta.steps if s.id == step_id)

    def claims(self, ids: list[str]) -> list[Expect]:
        return [e for e in self.meta.expect if e.id in ids]
