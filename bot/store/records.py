"""What the store hands back: plain frozen records, no SQL types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from bot.keys import ChannelKey
from bot.scoring import Award, Streak

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ChannelRecord:
    id: int
    key: ChannelKey
    tz: str
    post_time: str | None
    reveal_time: str | None
    reveal_minutes: int | None
    days: tuple[str, ...]
    topics: frozenset[str]
    difficulty: int | None
    paused: bool
    settings: dict[str, Any] = field(hash=False)
    schedule_updated_at: datetime | None = None

    @property
    def scheduled(self) -> bool:
        return self.post_time is not None

    def settings_json(self) -> str:
        return json.dumps(self.settings, sort_keys=True)


@dataclass(frozen=True)
class PostRecord:
    id: int
    channel_id: int
    dilemma_id: str
    topic: str
    kind: str
    local_date: date
    state: str
    created_at: datetime
    posted_at: datetime | None
    reveal_at: datetime
    revealed_at: datetime | None
    reveal_published_at: datetime | None
    message_ref: str | None
    thread_ref: str | None
    best_letter: str
    attempts: int

    @property
    def is_open(self) -> bool:
        return self.state == "open"


class Ballot(NamedTuple):
    member_id: int
    choice: str
    changes: int
    streak: Streak


class MemberAward(NamedTuple):
    member_id: int
    choice: str
    award: Award
    streak: Streak


@dataclass(frozen=True)
class LeaderRow:
    member_id: int
    display_name: str
    hidden: bool
    points: int
    correct: int
    answered: int


@dataclass(frozen=True)
class TopicScore:
    topic: str
    correct: int
    answered: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class MemberHistory:
    """A member's record in one channel: what stats are drawn from."""

    member_id: int
    display_name: str
    hidden: bool
    topics: list[TopicScore]
    group_topics: list[TopicScore]
    points: int
    answered: int
    correct: int
    streak: Streak
    last_post_date: date | None
    answers: list[tuple[date, bool]]  # local date of each daily answer, and whether it was right


@dataclass(frozen=True)
class AnsweredDilemma:
    """A dilemma a member answered (daily, practice or review), with when and whether they were right."""

    dilemma_id: str
    topic: str
    correct: bool
    answered_at: datetime


@dataclass(frozen=True)
class ReviewCardRecord:
    dilemma_id: str
    card_json: str
    due_at: datetime
    reviews: int


@dataclass(frozen=True)
class VoteOutcome:
    """A committed vote: `accepted` is False when the post was no longer open."""

    accepted: bool
    previous_choice: str | None = None
    member_id: int | None = None
    reviews_due: int = 0
