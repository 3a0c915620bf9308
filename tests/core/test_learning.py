"""Practice, the FSRS review queue, stats with a chart, export and forget, all through the core."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot import commands
from bot.cards import (
    ExportCard,
    ForgetPrompt,
    Notice,
    NoticeKind,
    Period,
    PostedCard,
    StatsCard,
    StudyCard,
    StudyMode,
    StudyResultCard,
)
from bot.charts import render_stats_png
from bot.keys import ChannelKey, Member, MemberKey
from bot.learning import choose_practice
from bot.scenarios import Bank
from bot.service import Casebook, recent_weeks
from bot.store import SqliteStore
from bot.store.records import AnsweredDilemma
from tests.fakes.clock import FakeClock
from tests.fakes.publisher import RecordingPublisher

CHANNEL = ChannelKey("test", "W1", "C1")
ADMIN = Member(MemberKey("test", "W1", "admin"), "Admin", is_admin=True)
ROSA = Member(MemberKey("test", "W1", "rosa"), "Rosa")


@pytest.fixture
async def study_core(tmp_path: Path, bank: Bank, clock: FakeClock) -> Casebook:
    store = SqliteStore(tmp_path / "study.sqlite3")
    await store.open()
    core = Casebook(store, bank, clock, rng=random.Random(5), refresh_seconds=3600, review_fuzz=False)
    core.add_publisher("test", RecordingPublisher())
    yield core  # type: ignore[misc]
    await core.close()
    await store.close()


async def daily(core: Casebook, member: Member, correct: bool) -> str:
    posted = await core.handle(commands.Post(), CHANNEL, ADMIN)
    assert isinstance(posted, PostedCard)
    post = await core.store.get_post(posted.post_id)
    assert post is not None
    letter = post.best_letter if correct else next(c for c in "ABCD" if c != post.best_letter)
    await core.vote(post.id, member, letter)
    await core.reveal(post.id)
    return post.dilemma_id


async def test_reviews_are_scheduled_with_fsrs_wrong_soon_right_later(study_core: Casebook, clock: FakeClock) -> None:
    missed = await daily(study_core, ROSA, correct=False)
    right = await daily(study_core, ROSA, correct=True)
    nothing_yet = await study_core.handle(commands.Review(), CHANNEL, ROSA)
    assert isinstance(nothing_yet, Notice) and "Nothing is due" in nothing_yet.text
    clock.advance(timedelta(days=1, minutes=1))
    due = await study_core.handle(commands.Review(), CHANNEL, ROSA)
    assert isinstance(due, StudyCard) and due.dilemma_id == missed and due.due_count == 1
    best = study_core.bank.dilemmas[missed].best_letter
    result = await study_core.handle(commands.Answer("review", missed, best), CHANNEL, ROSA)
    assert isinstance(result, StudyResultCard) and result.correct
    assert result.next_review_at is not None and result.next_review_at - clock.now() >= timedelta(days=2)
    clock.advance(timedelta(days=1))  # day 2: the one answered right comes due
    due = await study_core.handle(commands.Review(), CHANNEL, ROSA)
    assert isinstance(due, StudyCard) and due.dilemma_id == right
    wrong = next(c for c in "ABCD" if c != study_core.bank.dilemmas[right].best_letter)
    again = await study_core.handle(commands.Answer("review", right, wrong), CHANNEL, ROSA)
    assert isinstance(again, StudyResultCard) and not again.correct
    assert again.next_review_at is not None
    assert timedelta(hours=23) <= again.next_review_at - clock.now() <= timedelta(days=1, hours=1)


async def test_practice_is_private_and_never_changes_the_leaderboard(study_core: Casebook) -> None:
    await daily(study_core, ROSA, correct=True)
    before = await study_core.leaderboard(CHANNEL, Period.ALL)
    card = await study_core.handle(commands.Practice("group-work"), CHANNEL, ROSA)
    assert isinstance(card, StudyCard) and card.mode is StudyMode.PRACTICE
    assert card.topic == study_core.bank.topic_title("group-work")
    answer = study_core.bank.dilemmas[card.dilemma_id].best_letter
    result = await study_core.handle(commands.Answer("practice", card.dilemma_id, answer), CHANNEL, ROSA)
    assert isinstance(result, StudyResultCard) and result.correct and all(o.reasoning for o in result.options)
    assert await study_core.leaderboard(CHANNEL, Period.ALL) == before
    bad = await study_core.handle(commands.Answer("practice", card.dilemma_id, "Z"), CHANNEL, ROSA)
    assert isinstance(bad, Notice) and bad.kind is NoticeKind.ERROR


def test_practice_avoids_seen_dilemmas_and_favours_weak_topics(bank: Bank) -> None:
    dilemmas = list(bank.dilemmas.values())
    at = datetime(2026, 1, 1, tzinfo=UTC)
    group = [d for d in dilemmas if d.topic == "group-work"]
    answers = [AnsweredDilemma(d.id, d.topic, False, at) for d in group[:3]]
    answers += [AnsweredDilemma(d.id, d.topic, True, at) for d in dilemmas if d.topic == "minors"]
    rng = random.Random(1)
    picks = [choose_practice(dilemmas, answers, rng) for _ in range(30)]
    assert all(pick is not None and pick.topic == "group-work" for pick in picks)
    assert not {pick.id for pick in picks if pick} & {d.id for d in group[:3]}
    every_group = [AnsweredDilemma(d.id, d.topic, False, at) for d in group]
    pick = choose_practice(dilemmas, every_group, rng, topic="group-work")
    assert pick is not None and pick.topic == "group-work"  # all seen: repeats rather than nothing


async def test_stats_match_a_worked_example(study_core: Casebook, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))  # a Wednesday
    tom = Member(MemberKey("test", "W1", "tom"), "Tom")
    for rosa_right, tom_right in ((True, False), (True, True), (False, False)):
        posted = await study_core.handle(commands.Post("group-work"), CHANNEL, ADMIN)
        assert isinstance(posted, PostedCard)
        post = await study_core.store.get_post(posted.post_id)
        assert post is not None
        wrong = next(c for c in "ABCD" if c != post.best_letter)
        await study_core.vote(post.id, ROSA, post.best_letter if rosa_right else wrong)
        await study_core.vote(post.id, tom, post.best_letter if tom_right else wrong)
        await study_core.reveal(post.id)
        clock.advance(timedelta(days=1))
    stats = await study_core.stats(CHANNEL, ROSA.key, ROSA.key)
    assert isinstance(stats, StatsCard)
    assert (stats.answered, stats.correct, stats.points) == (3, 2, 11 + 12 + 1)
    (topic,) = stats.topics
    assert (topic.member_correct, topic.member_answered) == (2, 3)
    assert topic.group_accuracy == pytest.approx(3 / 6)
    assert (stats.current_streak, stats.best_streak) == (0, 2)
    assert stats.practise_next == topic.topic
    assert stats.weeks[-1] == ("02 Mar", 3, 2)
    png = await render_stats_png(stats)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_recent_weeks_counts_local_weeks() -> None:
    weeks = recent_weeks([(date(2026, 3, 1), True), (date(2026, 3, 2), False)], date(2026, 3, 4), count=2)
    assert weeks == (("23 Feb", 1, 1), ("02 Mar", 1, 0))


async def test_export_round_trips_everything_stored(study_core: Casebook, clock: FakeClock) -> None:
    dilemma_id = await daily(study_core, ROSA, correct=True)
    await study_core.handle(commands.Privacy("hide"), CHANNEL, ROSA)
    clock.advance(timedelta(days=3))
    await study_core.handle(commands.Review(), CHANNEL, ROSA)
    exported = await study_core.handle(commands.Privacy("export"), CHANNEL, ROSA)
    assert isinstance(exported, ExportCard) and exported.filename.endswith(".json")
    data = json.loads(exported.content)
    assert data["member"]["user_id"] == "rosa" and data["member"]["hidden"] == 1
    assert [vote["dilemma_id"] for vote in data["votes"]] == [dilemma_id]
    assert data["points"][0]["points"] == 11
    assert {row["period"] for row in data["totals"]} >= {"all"}
    assert [card["dilemma_id"] for card in data["review_cards"]] == [dilemma_id]
    assert data["streaks"][0]["best"] == 1
    nobody = await study_core.handle(commands.Privacy("export"), CHANNEL, Member(MemberKey("test", "W1", "x"), "X"))
    assert isinstance(nobody, Notice)


async def test_forget_needs_confirmation_and_leaves_no_row_about_the_member(
    study_core: Casebook, tmp_path: Path, clock: FakeClock
) -> None:
    other = Member(MemberKey("test", "W1", "sam"), "Sam")
    await daily(study_core, ROSA, correct=True)
    await daily(study_core, other, correct=True)
    practice = await study_core.handle(commands.Practice(), CHANNEL, ROSA)
    assert isinstance(practice, StudyCard)
    await study_core.handle(commands.Answer("practice", practice.dilemma_id, "A"), CHANNEL, ROSA)
    early = await study_core.handle(commands.Privacy("forget-confirm"), CHANNEL, ROSA)
    assert isinstance(early, Notice) and early.kind is NoticeKind.ERROR
    prompt = await study_core.handle(commands.Privacy("forget"), CHANNEL, ROSA)
    assert isinstance(prompt, ForgetPrompt)
    member_id = (await study_core.store.find_member(ROSA.key))[0]  # type: ignore[index]
    done = await study_core.handle(commands.Privacy("forget-confirm"), CHANNEL, ROSA)
    assert isinstance(done, Notice) and "Deleted" in done.text and "1 votes" in done.text
    with sqlite3.connect(tmp_path / "study.sqlite3") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            if "member_id" in columns:
                assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE member_id = ?", (member_id,)).fetchone()[0] == 0
            for row in db.execute(f"SELECT * FROM {table}"):
                assert "rosa" not in [str(value).lower() for value in row], (table, row)
    assert (await study_core.leaderboard(CHANNEL, Period.ALL)).lines[0].name == "Sam"


async def test_a_stale_forget_confirmation_is_refused(study_core: Casebook, clock: FakeClock) -> None:
    await daily(study_core, ROSA, correct=True)
    await study_core.handle(commands.Privacy("forget"), CHANNEL, ROSA)
    clock.advance(timedelta(minutes=11))
    late = await study_core.handle(commands.Privacy("forget-confirm"), CHANNEL, ROSA)
    assert isinstance(late, Notice) and late.kind is NoticeKind.ERROR
    assert await study_core.store.find_member(ROSA.key) is not None


async def test_a_first_vote_mentions_reviews_that_are_due(study_core: Casebook, clock: FakeClock) -> None:
    missed = await daily(study_core, ROSA, correct=False)
    clock.advance(timedelta(days=1, hours=1))
    posted = await study_core.handle(commands.Post(), CHANNEL, ADMIN)
    assert isinstance(posted, PostedCard)
    first = await study_core.vote(posted.post_id, ROSA, "A")
    changed = await study_core.vote(posted.post_id, ROSA, "B")
    assert getattr(first, "reviews_due", None) == 1
    assert getattr(changed, "reviews_due", None) == 0  # the nudge comes once, with the first vote
    best = study_core.bank.dilemmas[missed].best_letter
    await study_core.handle(commands.Review(), CHANNEL, ROSA)
    await study_core.handle(commands.Answer("review", missed, best), CHANNEL, ROSA)
    after = await study_core.handle(commands.Post(), CHANNEL, ADMIN)
    assert isinstance(after, PostedCard)
    again = await study_core.vote(after.post_id, ROSA, "C")
    assert getattr(again, "reviews_due", None) == 0
    tom = await study_core.vote(posted.post_id, Member(MemberKey("test", "W1", "tom"), "Tom"), "A")
    assert getattr(tom, "reviews_due", None) == 0
