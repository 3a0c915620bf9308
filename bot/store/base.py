"""The store's interface: everything the core asks of persistence, with no SQL in sight.

`SqliteStore` is the embedded implementation; a PostgreSQL store for several processes would implement the same
methods, and the lifecycle, scheduler and study code would not change. mypy checks that SqliteStore conforms.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot.keys import ChannelKey, Member, MemberKey
from bot.store.records import (
    AnsweredDilemma,
    Ballot,
    ChannelRecord,
    LeaderRow,
    MemberAward,
    MemberHistory,
    PostRecord,
    ReviewCardRecord,
    VoteOutcome,
)


class Store(Protocol):
    async def open(self) -> None:
        ...

    async def close(self) -> None:
        ...

    async def schema_version(self) -> int:
        ...

    async def ensure_channel(self, key: ChannelKey, now: datetime) -> ChannelRecord:
        ...

    async def get_channel(self, key: ChannelKey) -> ChannelRecord | None:
        ...

    async def channel_by_id(self, channel_id: int) -> ChannelRecord | None:
        ...

    async def scheduled_channels(self) -> list[ChannelRecord]:
        ...

    async def save_channel(self, channel: ChannelRecord) -> None:
        ...

    async def used_dilemmas(self, channel_id: int) -> list[str]:
        """Dilemma ids posted in the channel, oldest first (failed and skipped reservations excluded)."""
        ...

    async def reserve_post(
        self, channel_id: int, dilemma_id: str, topic: str, kind: str, local_date: date, reveal_at: datetime,
        best_letter: str, now: datetime,
    ) -> PostRecord:
        """Record a post before it is sent, so a crash can neither skip it silently nor send it twice."""
        ...

    async def mark_posted(self, post_id: int, message_ref: str, posted_at: datetime) -> None:
        ...

    async def mark_attempt_failed(self, post_id: int, give_up: bool) -> None:
        ...

    async def mark_skipped(self, post_id: int) -> None:
        ...

    async def set_thread(self, post_id: int, thread_ref: str) -> None:
        ...

    async def get_post(self, post_id: int) -> PostRecord | None:
        ...

    async def open_posts(self, channel_id: int) -> list[PostRecord]:
        ...

    async def posts_to_reveal(self) -> list[PostRecord]:
        """Open posts, and posts whose reveal was scored but not yet published; earliest reveal first."""
        ...

    async def reserved_posts(self) -> list[PostRecord]:
        ...

    async def scheduled_post_on(self, channel_id: int, local_date: date) -> PostRecord | None:
        ...

    async def scheduled_days_since(self, first: date) -> set[tuple[int, date]]:
        """(channel id, local date) of every scheduled post from a date on: one query for the start-up check."""
        ...

    async def close_post(self, post_id: int) -> bool:
        """Stop accepting votes. True when this call closed it."""
        ...

    async def previous_post_date(self, channel_id: int, before: date) -> date | None:
        ...

    async def last_revealed_date(self, channel_id: int) -> date | None:
        ...

    async def member_id(self, member: Member, now: datetime) -> int:
        ...

    async def cast_vote(self, post_id: int, member: Member, choice: str, now: datetime,
                        wrong_due_after: timedelta | None = None) -> VoteOutcome:
        """Record a vote; returns only once the transaction holding it has committed."""
        ...

    async def vote_count(self, post_id: int) -> int:
        ...

    async def ballots(self, post: PostRecord) -> list[Ballot]:
        ...

    async def record_reveal(
        self, post: PostRecord, awards: list[MemberAward], periods: list[str], revealed_at: datetime
    ) -> bool:
        """Award points once: only the call that moves the post from closed to revealed writes anything."""
        ...

    async def mark_reveal_published(self, post_id: int, at: datetime) -> None:
        ...

    async def drop_post(self, post_id: int) -> None:
        """Close a post without scoring or publishing it (its channel or dilemma is gone)."""
        ...

    async def leaderboard(self, channel_id: int, period: str, limit: int) -> list[LeaderRow]:
        ...

    async def week_splits(self, channel_id: int, first: date, last: date) -> dict[int, dict[str, int]]:
        """Each revealed post of the channel between two local dates, with its votes per option."""
        ...

    async def week_accuracy(self, channel_id: int, first: date, last: date) -> tuple[int, int]:
        ...

    async def find_member(self, key: MemberKey) -> tuple[int, str, bool] | None:
        ...

    async def member_history(self, channel_id: int, key: MemberKey) -> MemberHistory | None:
        ...

    async def set_hidden(self, member: Member, hidden: bool, now: datetime) -> None:
        ...

    async def answered_dilemmas(self, member_id: int) -> list[AnsweredDilemma]:
        """Everything a member answered anywhere: revealed daily posts, practice and reviews, oldest first."""
        ...

    async def record_study_answer(self, member_id: int, dilemma_id: str, topic: str, mode: str, choice: str,
                                  correct: bool, at: datetime) -> None:
        ...

    async def review_cards(self, member_id: int) -> list[ReviewCardRecord]:
        ...

    async def save_review_cards(self, member_id: int, cards: list[ReviewCardRecord]) -> None:
        ...

    async def export_member(self, key: MemberKey) -> dict[str, Any] | None:
        """Every row stored about a member, table by table."""
        ...

    async def forget_member(self, key: MemberKey) -> dict[str, int]:
        """Delete every row about a member, in every channel; return how many rows went from each table."""
        ...

