"""The scenario bank's schema: packs, dilemmas, options and the citation catalog."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Exam = Literal["NCE", "NCMHCE", "ASWB", "EPPP", "CRC"]
LETTERS = string.ascii_uppercase[:5]
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SITUATION_WORDS = (50, 220)

Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=80)]
OneLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
    reasoning: Annotated[str, StringConstraints(strip_whitespace=True, min_length=40, max_length=700)]
    best: bool = False


class Dilemma(_Strict):
    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]
    topic: Slug
    tags: list[Annotated[str, StringConstraints(pattern=SLUG, max_length=40)]] = Field(max_length=8)
    difficulty: Literal[1, 2, 3]
    exams: list[Exam] = Field(min_length=1)
    situation: Annotated[str, StringConstraints(strip_whitespace=True)]
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=250)]
    options: list[Option] = Field(min_length=3, max_length=5)
    takeaway: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=200)]
    discussion: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=300)]
    references: list[Annotated[str, StringConstraints(strip_whitespace=True)]] = Field(min_length=1, max_length=6)
    pack: str = ""

    @field_validator("situation")
    @classmethod
    def _situation_length(cls, situation: str) -> str:
        words = len(situation.split())
        low, high = SITUATION_WORDS
        if not low <= words <= high:
            raise ValueError(f"has {words} words; it must have {low} to {high}")
        return situation

    @field_validator("options")
    @classmethod
    def _exactly_one_best(cls, options: list[Option]) -> list[Option]:
        best = sum(option.best for option in options)
        if best != 1:
            raise ValueError(f"{best} options are marked best: exactly one must be")
        return options

    @field_validator("takeaway")
    @classmethod
    def _one_line(cls, takeaway: str) -> str:
        if "\n" in takeaway:
            raise ValueError("must be a single line")
        return takeaway

    @property
    def letters(self) -> str:
        return LETTERS[: len(self.options)]

    @property
    def best_letter(self) -> str:
        return next(letter for letter, option in zip(LETTERS, self.options, strict=False) if option.best)

    def option(self, letter: str) -> Option:
        return self.options[LETTERS.index(letter)]


class Pack(_Strict):
    id: Slug
    title: OneLine
    description: str = ""


class Code(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+$")]
    title: OneLine
    sections: dict[str, OneLine] = Field(min_length=1)


REFERENCE = re.compile(r"^(?P<code>[A-Z0-9]+) (?P<section>\S.*)$")


@dataclass(frozen=True)
class Citation:
    code: str
    section: str
    code_title: str
    section_title: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.section}"


@dataclass
class Bank:
    """Everything loaded from the content directories, already validated."""

    dilemmas: dict[str, Dilemma] = field(default_factory=dict)
    packs: dict[str, Pack] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)

    def citations(self, dilemma: Dilemma) -> list[Citation]:
        found: list[Citation] = []
        for reference in dilemma.references:
            match = REFERENCE.match(reference)
            if match is None:
                continue
            code = self.codes[match["code"]]
            section = match["section"]
            found.append(Citation(code.id, section, code.title, code.sections[section]))
        return found

    def topic_title(self, topic: str) -> str:
        return self.topics.get(topic, topic)

    def eligible(self, topics: frozenset[str] = frozenset()) -> list[Dilemma]:
        return [d for d in self.dilemmas.values() if not topics or d.topic in topics]

    def count_by_topic(self) -> dict[str, int]:
        counts = dict.fromkeys(self.topics, 0)
        for dilemma in self.dilemmas.values():
            counts[dilemma.topic] += 1
        return counts
