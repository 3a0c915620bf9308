"""Scoring rules: what a daily answer is worth, and how streaks grow and break."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field


class ScoringRules(BaseModel):
    """Per-channel scoring; the defaults are PRODUCT.md's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    best_points: int = Field(default=10, ge=0, le=1000)
    participation_points: int = Field(default=1, ge=0, le=1000)
    streak_step: int = Field(default=1, ge=0, le=100)
    streak_cap: int = Field(default=5, ge=0, le=1000)

    @classmethod
    def from_settings(cls, channel_settings: dict[str, Any]) -> ScoringRules:
        return cls.model_validate(channel_settings.get("scoring", {}))


# Tuples rather than frozen dataclasses: a reveal makes one of each per voter, 10,000 at a time, and a
# NamedTuple is several times cheaper to create.
class Streak(NamedTuple):
    current: int = 0
    best: int = 0
    last_date: date | None = None


class Award(NamedTuple):
    correct: bool
    points: int
    streak_bonus: int


def next_streak(streak: Streak, correct: bool, post_date: date, previous_post_date: date | None) -> Streak:
    """A streak counts consecutive posting days of the channel answered with the best answer.

    Days without a post (a Monday-to-Friday schedule's weekend) do not break it; a day with a post that the
    member skipped or got wrong does. A second post on the same local day neither grows nor breaks it.
    """
    if streak.last_date == post_date:
        return streak
    if not correct:
        return Streak(0, streak.best, None)
    continues = streak.last_date is not None and streak.last_date == previous_post_date
    current = streak.current + 1 if continues else 1
    return Streak(current, max(streak.best, current), post_date)


def award(rules: ScoringRules, correct: bool, streak: Streak) -> Award:
    """Points for one daily answer, given the member's streak after it."""
    if not correct:
        return Award(False, rules.participation_points, 0)
    bonus = min(max(streak.current - 1, 0) * rules.streak_step, rules.streak_cap)
    return Award(True, rules.best_points + rules.participation_points + bonus, bonus)
