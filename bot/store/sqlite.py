"""The SQLite store: every SQL statement Casebook runs lives in this module."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.keys import ChannelKey, Member, MemberKey
from bot.scoring import Streak
from bot.store.records import (
    AnsweredDilemma,
    Ballot,
    ChannelRecord,
    LeaderRow,
    MemberAward,
    MemberHistory,
    PostRecord,
    ReviewCardRecord,
    TopicScore,
    VoteOutcome,
)

log = logging.getLogger(__name__)

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    # In WAL mode NORMAL keeps every committed transaction through a process crash (kill -9); only a power
    # loss can take back the last commits. The vote-rate baseline uses the same settings.
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
)
MAX_VOTE_BATCH = 512


class PostAlreadyReserved(Exception):
    """A scheduled post for this channel and local date exists already."""


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


_UPSERT_MEMBER = (
    "INSERT INTO members (platform, workspace, user_id, display_name, created_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (platform, workspace, user_id) DO UPDATE SET display_name = excluded.display_name RETURNING id"
)
_UPSERT_VOTE = (
    "INSERT INTO votes (post_id, member_id, choice, first_at, updated_at) "
    "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM posts WHERE id = ? AND state = 'open') "
    "ON CONFLICT (post_id, member_id) DO UPDATE SET previous_choice = votes.choice, "
    "changes = changes + (choice != excluded.choice), choice = excluded.choice, updated_at = excluded.updated_at "
    "RETURNING previous_choice"
)


# Due review cards, plus daily answers missed long enough ago that their card (made lazily, at the member's next
# review) will be due: the nudge a first vote on a post carries.
_REVIEWS_DUE = (
    "SELECT (SELECT COUNT(*) FROM review_cards WHERE member_id = ? AND due_at <= ?) + "
    "(SELECT COUNT(*) FROM awards a JOIN posts p ON p.id = a.post_id WHERE a.member_id = ? AND a.correct = 0 "
    "AND p.revealed_at <= ? AND p.dilemma_id NOT IN (SELECT dilemma_id FROM review_cards WHERE member_id = ?))"
)


def _write_votes(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[tuple[int, VoteOutcome]]:
    """Runs on the connection's own thread: one transaction for a batch of votes, committed before returning."""
    results = []
    try:
        for platform, workspace, user_id, name, member_id, post_id, choice, at, due_cutoff in rows:
            if member_id is None:
                member_id = db.execute(_UPSERT_MEMBER, (platform, workspace, user_id, name, at)).fetchone()[0]
            found = db.execute(_UPSERT_VOTE, (post_id, member_id, choice, at, at, post_id)).fetchone()
            if found is None:
                results.append((member_id, VoteOutcome(False)))
                continue
            first_vote = found[0] is None
            due = db.execute(_REVIEWS_DUE, (member_id, at, member_id, due_cutoff, member_id)).fetchone()[0] \
                if first_vote and due_cutoff is not None else 0
            results.append((member_id, VoteOutcome(True, found[0], member_id, due)))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return results


def migrations() -> list[tuple[int, str]]:
    """Numbered migrations shipped with the package, in order."""
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


@dataclass
class _PendingVote:
    post_id: int
    member: Member
    choice: str
    at: str
    due_cutoff: str | None
    done: asyncio.Future[VoteOutcome]


_CHANNEL_COLUMNS = ("id, platform, workspace, channel, tz, post_time, reveal_time, reveal_minutes, days, topics, "
                    "difficulty, paused, settings, schedule_updated_at")
_POST_COLUMNS = ("id, channel_id, dilemma_id, topic, kind, local_date, state, created_at, posted_at, reveal_at, "
                 "revealed_at, reveal_published_at, message_ref, thread_ref, best_letter, attempts")


def _channel(row: Any) -> ChannelRecord:
    return ChannelRecord(
        id=row[0], key=ChannelKey(row[1], row[2], row[3]), tz=row[4], post_time=row[5], reveal_time=row[6],
        reveal_minutes=row[7], days=tuple(d for d in row[8].split(",") if d),
        topics=frozenset(t for t in row[9].split(",") if t), difficulty=row[10], paused=bool(row[11]),
        settings=json.loads(row[12]), schedule_updated_at=_moment(row[13]),
    )


def _post(row: Any) -> PostRecord:
    return PostRecord(
        id=row[0], channel_id=row[1], dilemma_id=row[2], topic=row[3], kind=row[4],
        local_date=date.fromisoformat(row[5]), state=row[6], created_at=datetime.fromisoformat(row[7]),
        posted_at=_moment(row[8]), reveal_at=datetime.fromisoformat(row[9]), revealed_at=_moment(row[10]),
        reveal_published_at=_moment(row[11]), message_ref=row[12], thread_ref=row[13], best_letter=row[14],
        attempts=row[15],
    )


class SqliteStore:
    """One writer connection (serialised by a lock, votes group-committed) and one reader connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._pending: list[_PendingVote] = []
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._member_ids: dict[MemberKey, tuple[int, str]] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._migrate(self._writer)
        self._reader = await self._connect()
        self._flusher = asyncio.create_task(self._flush_votes_forever(), name="casebook-vote-flusher")

    async def close(self) -> None:
        if self._flusher is not None:
            await self._drain_votes()
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(self.path, isolation_level="DEFERRED")
        for pragma in PRAGMAS:
            await connection.execute(pragma)
        return connection

    async def _migrate(self, connection: aiosqlite.Connection) -> None:
        async with connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = row[0] if row else 0
        for number, script in migrations():
            if number <= version:
                continue
            log.info("applying migration %04d", number)
            await connection.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")

    async def schema_version(self) -> int:
        rows = await self._read("PRAGMA user_version")
        return int(rows[0][0])

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("the store is not open")
        return self._writer

    async def _read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        if self._reader is None:
            raise RuntimeError("the store is not open")
        return list(await self._reader.execute_fetchall(sql, tuple(params)))

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One writer at a time. sqlite3 opens the transaction itself before the first write, which saves a
        round trip to the database thread per transaction; this connection is the only writer, so a deferred
        transaction never has to wait for another."""
        async with self._lock:
            connection = self._w
            try:
                yield connection
            except BaseException:
                await connection.rollback()
                raise
            await connection.commit()

    # -- channels --------------------------------------------------------------------------------

    async def ensure_channel(self, key: ChannelKey, now: datetime) -> ChannelRecord:
        existing = await self.get_channel(key)
        if existing is not None:
            return existing
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO channels (platform, workspace, channel, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (platform, workspace, channel) DO NOTHING",
                (key.platform, key.workspace, key.channel, _iso(now)),
            )
        channel = await self.get_channel(key)
        assert channel is not None
        return channel

    async def get_channel(self, key: ChannelKey) -> ChannelRecord | None:
        rows = await self._read(
            f"SELECT {_CHANNEL_COLUMNS} FROM channels WHERE platform = ? AND workspace = ? AND channel = ?",
            (key.platform, key.workspace, key.channel),
        )
        return _channel(rows[0]) if rows else None

    async def channel_by_id(self, channel_id: int) -> ChannelRecord | None:
        rows = await self._read(f"SELECT {_CHANNEL_COLUMNS} FROM channels WHERE id = ?", (channel_id,))
        return _channel(rows[0]) if rows else None

    async def scheduled_channels(self) -> list[ChannelRecord]:
        rows = await self._read(f"SELECT {_CHANNEL_COLUMNS} FROM channels WHERE post_time IS NOT NULL ORDER BY id")
        return [_channel(row) for row in rows]

    async def save_channel(self, channel: ChannelRecord) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE channels SET tz = ?, post_time = ?, reveal_time = ?, reveal_minutes = ?, days = ?, "
                "topics = ?, difficulty = ?, paused = ?, settings = ?, schedule_updated_at = ? WHERE id = ?",
                (channel.tz, channel.post_time, channel.reveal_time, channel.reveal_minutes, ",".join(channel.days),
                 ",".join(sorted(channel.topics)), channel.difficulty, int(channel.paused), channel.settings_json(),
                 _iso(channel.schedule_updated_at), channel.id),
            )

    # -- posts -----------------------------------------------------------------------------------

    async def used_dilemmas(self, channel_id: int) -> list[str]:
        """Dilemma ids posted in the channel, oldest first (failed and skipped reservations excluded)."""
        rows = await self._read(
            "SELECT dilemma_id FROM posts WHERE channel_id = ? AND state NOT IN ('failed', 'skipped') ORDER BY id",
            (channel_id,),
        )
        return [row[0] for row in rows]

    async def reserve_post(
        self, channel_id: int, dilemma_id: str, topic: str, kind: str, local_date: date, reveal_at: datetime,
        best_letter: str, now: datetime,
    ) -> PostRecord:
        """Record a post before it is sent, so a crash can neither skip it silently nor send it twice."""
        try:
            async with self._transaction() as db:
                cursor = await db.execute(
                    "INSERT INTO posts (channel_id, dilemma_id, topic, kind, local_date, state, created_at, reveal_at,"
                    " best_letter) VALUES (?, ?, ?, ?, ?, 'reserved', ?, ?, ?)",
                    (channel_id, dilemma_id, topic, kind, local_date.isoformat(), _iso(now), _iso(reveal_at),
                     best_letter),
                )
                post_id = cursor.lastrowid
        except aiosqlite.IntegrityError as error:
            raise PostAlreadyReserved(f"channel {channel_id} already has its post for {local_date}") from error
        post = await self.get_post(int(post_id or 0))
        assert post is not None
        return post

    async def mark_posted(self, post_id: int, message_ref: str, posted_at: datetime) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE posts SET state = 'open', message_ref = ?, posted_at = ? WHERE id = ? AND state = 'reserved'",
                (message_ref, _iso(posted_at), post_id),
            )

    async def mark_attempt_failed(self, post_id: int, give_up: bool) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE posts SET attempts = attempts + 1, state = CASE WHEN ? THEN 'failed' ELSE state END "
                "WHERE id = ? AND state = 'reserved'",
                (give_up, post_id),
            )

    async def mark_skipped(self, post_id: int) -> None:
        async with self._transaction() as db:
            await db.execute("UPDATE posts SET state = 'skipped' WHERE id = ? AND state = 'reserved'", (post_id,))

    async def set_thread(self, post_id: int, thread_ref: str) -> None:
        async with self._transaction() as db:
            await db.execute("UPDATE posts SET thread_ref = ? WHERE id = ?", (thread_ref, post_id))

    async def get_post(self, post_id: int) -> PostRecord | None:
        rows = await self._read(f"SELECT {_POST_COLUMNS} FROM posts WHERE id = ?", (post_id,))
        return _post(rows[0]) if rows else None

    async def open_posts(self, channel_id: int) -> list[PostRecord]:
        rows = await self._read(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE channel_id = ? AND state = 'open' ORDER BY id", (channel_id,)
        )
        return [_post(row) for row in rows]

    async def posts_to_reveal(self) -> list[PostRecord]:
        """Open posts, and posts whose reveal was scored but not yet published; earliest reveal first."""
        rows = await self._read(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE state IN ('open', 'closed') "
            "OR (state = 'revealed' AND reveal_published_at IS NULL) ORDER BY reveal_at, id"
        )
        return [_post(row) for row in rows]

    async def reserved_posts(self) -> list[PostRecord]:
        rows = await self._read(f"SELECT {_POST_COLUMNS} FROM posts WHERE state = 'reserved' ORDER BY id")
        return [_post(row) for row in rows]

    async def scheduled_post_on(self, channel_id: int, local_date: date) -> PostRecord | None:
        rows = await self._read(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE channel_id = ? AND local_date = ? AND kind = 'scheduled'",
            (channel_id, local_date.isoformat()),
        )
        return _post(rows[0]) if rows else None

    async def scheduled_days_since(self, first: date) -> set[tuple[int, date]]:
        """(channel id, local date) of every scheduled post from a date on: one query for the start-up check."""
        rows = await self._read(
            "SELECT channel_id, local_date FROM posts WHERE kind = 'scheduled' AND local_date >= ?",
            (first.isoformat(),),
        )
        return {(row[0], date.fromisoformat(row[1])) for row in rows}

    async def close_post(self, post_id: int) -> bool:
        """Stop accepting votes. True when this call closed it."""
        async with self._transaction() as db:
            cursor = await db.execute("UPDATE posts SET state = 'closed' WHERE id = ? AND state = 'open'", (post_id,))
            return cursor.rowcount == 1

    async def previous_post_date(self, channel_id: int, before: date) -> date | None:
        rows = await self._read(
            "SELECT MAX(local_date) FROM posts WHERE channel_id = ? AND local_date < ? AND state = 'revealed'",
            (channel_id, before.isoformat()),
        )
        return _day(rows[0][0])

    async def last_revealed_date(self, channel_id: int) -> date | None:
        rows = await self._read(
            "SELECT MAX(local_date) FROM posts WHERE channel_id = ? AND state = 'revealed'", (channel_id,)
        )
        return _day(rows[0][0])

    # -- votes -----------------------------------------------------------------------------------

    async def member_id(self, member: Member, now: datetime) -> int:
        cached = self._cached_member(member)
        if cached is not None:
            return cached
        async with self._transaction() as db:
            return await self._upsert_member(db, member, _iso(now) or "")

    async def _upsert_member(self, db: aiosqlite.Connection, member: Member, at: str) -> int:
        cached = self._cached_member(member)
        if cached is not None:
            return cached
        rows = await db.execute_fetchall(
            _UPSERT_MEMBER, (member.key.platform, member.key.workspace, member.key.user_id, member.display_name, at)
        )
        member_id = int(next(iter(rows))[0])
        self._member_ids[member.key] = (member_id, member.display_name)
        return member_id

    async def cast_vote(self, post_id: int, member: Member, choice: str, now: datetime,
                        wrong_due_after: timedelta | None = None) -> VoteOutcome:
        """Record a vote; returns only once the transaction holding it has committed. With `wrong_due_after`, a
        member's first vote on the post also counts their due reviews (for the confirmation's nudge)."""
        done: asyncio.Future[VoteOutcome] = asyncio.get_running_loop().create_future()
        cutoff = _iso(now - wrong_due_after) if wrong_due_after is not None else None
        self._pending.append(_PendingVote(post_id, member, choice, _iso(now) or "", cutoff, done))
        self._wake.set()
        return await done

    async def _flush_votes_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._flush_votes()

    async def _drain_votes(self) -> None:
        while self._pending:
            await self._flush_votes()

    async def _flush_votes(self) -> None:
        """Group commit: every vote waiting now shares one transaction, confirmed after its COMMIT.

        The whole batch (member upserts, vote upserts, commit) runs as one call on the connection's thread, so a
        lone vote costs one round trip to it rather than one per statement.
        """
        batch, self._pending = self._pending[:MAX_VOTE_BATCH], self._pending[MAX_VOTE_BATCH:]
        rows = [(v.member.key.platform, v.member.key.workspace, v.member.key.user_id, v.member.display_name,
                 self._cached_member(v.member), v.post_id, v.choice, v.at, v.due_cutoff) for v in batch]
        try:
            async with self._lock:
                # aiosqlite has no public way to run a function on its thread; _execute is what its own
                # methods use, and the pinned version range keeps it there.
                results: list[tuple[int, VoteOutcome]] = await self._w._execute(  # type: ignore[no-untyped-call]
                    _write_votes, self._w._conn, rows)
        except Exception as error:  # every vote in the batch learns it was not recorded
            self._member_ids.clear()  # ids handed out inside the rolled-back transaction are void
            for vote in batch:
                if not vote.done.done():
                    vote.done.set_exception(error)
            return
        for vote, (member_id, outcome) in zip(batch, results, strict=True):
            self._member_ids[vote.member.key] = (member_id, vote.member.display_name)
            if not vote.done.done():
                vote.done.set_result(outcome)

    def _cached_member(self, member: Member) -> int | None:
        cached = self._member_ids.get(member.key)
        return cached[0] if cached is not None and cached[1] == member.display_name else None

    async def vote_count(self, post_id: int) -> int:
        rows = await self._read("SELECT COUNT(*) FROM votes WHERE post_id = ?", (post_id,))
        return int(rows[0][0])

    async def ballots(self, post: PostRecord) -> list[Ballot]:
        rows = await self._read(
            "SELECT v.member_id, v.choice, v.changes, s.current, s.best, s.last_date FROM votes v "
            "LEFT JOIN streaks s ON s.channel_id = ? AND s.member_id = v.member_id WHERE v.post_id = ?",
            (post.channel_id, post.id),
        )
        return [
            Ballot(row[0], row[1], row[2], Streak(row[3], row[4], _day(row[5])) if row[3] is not None else Streak())
            for row in rows
        ]

    # -- reveal ----------------------------------------------------------------------------------

    async def record_reveal(
        self, post: PostRecord, awards: list[MemberAward], periods: list[str], revealed_at: datetime
    ) -> bool:
        """Award points once: only the call that moves the post from closed to revealed writes anything."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE posts SET state = 'revealed', revealed_at = ? WHERE id = ? AND state = 'closed'",
                (_iso(revealed_at), post.id),
            )
            if cursor.rowcount != 1:
                return False
            await db.executemany(
                "INSERT INTO awards (post_id, member_id, channel_id, choice, correct, points, streak_bonus) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(post.id, a.member_id, post.channel_id, a.choice, int(a.award.correct), a.award.points,
                  a.award.streak_bonus) for a in awards],
            )
            await db.executemany(
                "INSERT INTO streaks (channel_id, member_id, current, best, last_date) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (channel_id, member_id) DO UPDATE SET current = excluded.current, best = excluded.best, "
                "last_date = excluded.last_date",
                [(post.channel_id, a.member_id, a.streak.current, a.streak.best,
                  a.streak.last_date.isoformat() if a.streak.last_date else None) for a in awards],
            )
            for period in periods:
                await db.execute(
                    "INSERT INTO score_totals (channel_id, period, member_id, points, correct, answered) "
                    "SELECT channel_id, ?, member_id, points, correct, 1 FROM awards WHERE post_id = ? "
                    "ON CONFLICT (channel_id, period, member_id) DO UPDATE SET points = points + excluded.points, "
                    "correct = correct + excluded.correct, answered = answered + 1",
                    (period, post.id),
                )
            correct = sum(a.award.correct for a in awards)
            await db.execute(
                "INSERT INTO topic_totals (channel_id, topic, correct, answered) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (channel_id, topic) DO UPDATE SET correct = correct + excluded.correct, "
                "answered = answered + excluded.answered",
                (post.channel_id, post.topic, correct, len(awards)),
            )
        return True

    async def mark_reveal_published(self, post_id: int, at: datetime) -> None:
        async with self._transaction() as db:
            await db.execute("UPDATE posts SET reveal_published_at = ? WHERE id = ?", (_iso(at), post_id))

    async def drop_post(self, post_id: int) -> None:
        """Close a post without scoring or publishing it (its channel or dilemma is gone)."""
        async with self._transaction() as db:
            await db.execute("UPDATE posts SET state = 'dropped' WHERE id = ? AND state IN ('open', 'closed')",
                             (post_id,))

    # -- leaderboard and stats -------------------------------------------------------------------

    async def leaderboard(self, channel_id: int, period: str, limit: int) -> list[LeaderRow]:
        rows = await self._read(
            "SELECT s.member_id, m.display_name, m.hidden, s.points, s.correct, s.answered FROM score_totals s "
            "JOIN members m ON m.id = s.member_id WHERE s.channel_id = ? AND s.period = ? "
            "ORDER BY s.points DESC, s.correct DESC, s.member_id LIMIT ?",
            (channel_id, period, limit),
        )
        return [LeaderRow(row[0], row[1], bool(row[2]), row[3], row[4], row[5]) for row in rows]

    async def week_splits(self, channel_id: int, first: date, last: date) -> dict[int, dict[str, int]]:
        """Each revealed post of the channel between two local dates, with its votes per option."""
        rows = await self._read(
            "SELECT p.id, v.choice, COUNT(*) FROM posts p JOIN votes v ON v.post_id = p.id "
            "WHERE p.channel_id = ? AND p.local_date BETWEEN ? AND ? AND p.state = 'revealed' "
            "GROUP BY p.id, v.choice",
            (channel_id, first.isoformat(), last.isoformat()),
        )
        splits: dict[int, dict[str, int]] = {}
        for post_id, choice, count in rows:
            splits.setdefault(post_id, {})[choice] = count
        return splits

    async def week_accuracy(self, channel_id: int, first: date, last: date) -> tuple[int, int]:
        rows = await self._read(
            "SELECT COALESCE(SUM(a.correct), 0), COUNT(*) FROM awards a JOIN posts p ON p.id = a.post_id "
            "WHERE p.channel_id = ? AND p.local_date BETWEEN ? AND ?",
            (channel_id, first.isoformat(), last.isoformat()),
        )
        return int(rows[0][0]), int(rows[0][1])

    async def find_member(self, key: MemberKey) -> tuple[int, str, bool] | None:
        rows = await self._read(
            "SELECT id, display_name, hidden FROM members WHERE platform = ? AND workspace = ? AND user_id = ?",
            (key.platform, key.workspace, key.user_id),
        )
        return (rows[0][0], rows[0][1], bool(rows[0][2])) if rows else None

    async def member_history(self, channel_id: int, key: MemberKey) -> MemberHistory | None:
        found = await self.find_member(key)
        if found is None:
            return None
        member_id, name, hidden = found
        topics = await self._read(
            "SELECT p.topic, SUM(a.correct), COUNT(*) FROM awards a JOIN posts p ON p.id = a.post_id "
            "WHERE a.channel_id = ? AND a.member_id = ? GROUP BY p.topic ORDER BY p.topic",
            (channel_id, member_id),
        )
        group = await self._read(
            "SELECT topic, correct, answered FROM topic_totals WHERE channel_id = ? ORDER BY topic", (channel_id,)
        )
        totals = await self._read(
            "SELECT points, correct, answered FROM score_totals WHERE channel_id = ? AND period = 'all' "
            "AND member_id = ?",
            (channel_id, member_id),
        )
        streak = await self._read(
            "SELECT current, best, last_date FROM streaks WHERE channel_id = ? AND member_id = ?",
            (channel_id, member_id),
        )
        answers = await self._read(
            "SELECT p.local_date, a.correct FROM awards a JOIN posts p ON p.id = a.post_id "
            "WHERE a.channel_id = ? AND a.member_id = ? ORDER BY p.local_date",
            (channel_id, member_id),
        )
        points, correct, answered = totals[0] if totals else (0, 0, 0)
        return MemberHistory(
            member_id=member_id, display_name=name, hidden=hidden,
            topics=[TopicScore(row[0], row[1], row[2]) for row in topics],
            group_topics=[TopicScore(row[0], row[1], row[2]) for row in group],
            points=points, answered=answered, correct=correct,
            streak=Streak(streak[0][0], streak[0][1], _day(streak[0][2])) if streak else Streak(),
            last_post_date=await self.last_revealed_date(channel_id),
            answers=[(date.fromisoformat(row[0]), bool(row[1])) for row in answers],
        )

    async def set_hidden(self, member: Member, hidden: bool, now: datetime) -> None:
        member_id = await self.member_id(member, now)
        async with self._transaction() as db:
            await db.execute("UPDATE members SET hidden = ? WHERE id = ?", (int(hidden), member_id))

    # -- practice, review and privacy ----------------------------------------------------------------

    async def answered_dilemmas(self, member_id: int) -> list[AnsweredDilemma]:
        """Everything a member answered anywhere: revealed daily posts, practice and reviews, oldest first."""
        rows = await self._read(
            "SELECT p.dilemma_id, p.topic, a.correct, p.revealed_at FROM awards a JOIN posts p ON p.id = a.post_id "
            "WHERE a.member_id = ? "
            "UNION ALL SELECT dilemma_id, topic, correct, answered_at FROM study_answers WHERE member_id = ? "
            "ORDER BY 4",
            (member_id, member_id),
        )
        return [AnsweredDilemma(row[0], row[1], bool(row[2]), datetime.fromisoformat(row[3])) for row in rows]

    async def record_study_answer(self, member_id: int, dilemma_id: str, topic: str, mode: str, choice: str,
                                  correct: bool, at: datetime) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO study_answers (member_id, dilemma_id, topic, mode, choice, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (member_id, dilemma_id, topic, mode, choice, int(correct), _iso(at)),
            )

    async def review_cards(self, member_id: int) -> list[ReviewCardRecord]:
        rows = await self._read(
            "SELECT dilemma_id, card, due_at, reviews FROM review_cards WHERE member_id = ? ORDER BY due_at, "
            "dilemma_id",
            (member_id,),
        )
        return [ReviewCardRecord(row[0], row[1], datetime.fromisoformat(row[2]), row[3]) for row in rows]

    async def save_review_cards(self, member_id: int, cards: list[ReviewCardRecord]) -> None:
        async with self._transaction() as db:
            await db.executemany(
                "INSERT INTO review_cards (member_id, dilemma_id, card, due_at, reviews) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (member_id, dilemma_id) DO UPDATE SET card = excluded.card, due_at = excluded.due_at, "
                "reviews = excluded.reviews",
                [(member_id, c.dilemma_id, c.card_json, _iso(c.due_at), c.reviews) for c in cards],
            )

    async def export_member(self, key: MemberKey) -> dict[str, Any] | None:
        """Every row stored about a member, table by table."""
        found = await self.find_member(key)
        if found is None:
            return None
        member_id = found[0]
        queries = {
            "member": ("SELECT platform, workspace, user_id, display_name, hidden, created_at FROM members "
                       "WHERE id = ?"),
            "votes": ("SELECT c.platform, c.workspace, c.channel, v.post_id, p.dilemma_id, v.choice, v.changes, "
                      "v.first_at, v.updated_at FROM votes v JOIN posts p ON p.id = v.post_id "
                      "JOIN channels c ON c.id = p.channel_id WHERE v.member_id = ?"),
            "points": ("SELECT c.channel, a.post_id, p.dilemma_id, a.choice, a.correct, a.points, a.streak_bonus "
                       "FROM awards a JOIN posts p ON p.id = a.post_id JOIN channels c ON c.id = a.channel_id "
                       "WHERE a.member_id = ?"),
            "totals": ("SELECT c.channel, s.period, s.points, s.correct, s.answered FROM score_totals s "
                       "JOIN channels c ON c.id = s.channel_id WHERE s.member_id = ?"),
            "streaks": ("SELECT c.channel, s.current, s.best, s.last_date FROM streaks s "
                        "JOIN channels c ON c.id = s.channel_id WHERE s.member_id = ?"),
            "study_answers": ("SELECT dilemma_id, topic, mode, choice, correct, answered_at FROM study_answers "
                              "WHERE member_id = ?"),
            "review_cards": "SELECT dilemma_id, card, due_at, reviews FROM review_cards WHERE member_id = ?",
        }
        export: dict[str, Any] = {}
        for name, sql in queries.items():
            async with self._reader_cursor(sql, (member_id,)) as cursor:
                columns = [d[0] for d in cursor.description]
                export[name] = [dict(zip(columns, row, strict=True)) for row in await cursor.fetchall()]
        export["member"] = export["member"][0]
        return export

    @contextlib.asynccontextmanager
    async def _reader_cursor(self, sql: str, params: tuple[Any, ...]) -> AsyncIterator[aiosqlite.Cursor]:
        if self._reader is None:
            raise RuntimeError("the store is not open")
        async with self._reader.execute(sql, params) as cursor:
            yield cursor

    async def forget_member(self, key: MemberKey) -> dict[str, int]:
        """Delete every row about a member, in every channel; return how many rows went from each table."""
        found = await self.find_member(key)
        if found is None:
            return {}
        member_id = found[0]
        tables = ("votes", "awards", "score_totals", "streaks", "study_answers", "review_cards")
        deleted: dict[str, int] = {}
        async with self._transaction() as db:
            for table in tables:
                cursor = await db.execute(f"DELETE FROM {table} WHERE member_id = ?", (member_id,))
                deleted[table] = cursor.rowcount
            cursor = await db.execute("DELETE FROM members WHERE id = ?", (member_id,))
            deleted["members"] = cursor.rowcount
        self._member_ids.pop(key, None)
        return deleted
