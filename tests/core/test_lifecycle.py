"""The daily loop through the core with plain values: post, vote, change, reveal, points, leaderboards."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import commands
from bot.cards import Notice, NoticeKind, Period, PostedCard, RevealCard, StatsCard, VoteConfirmation
from bot.keys import ChannelKey, Member, MemberKey
from bot.service import Casebook
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock
from tests.fakes.publisher import RecordingPublisher

CHANNEL = ChannelKey("test", "W1", "C1")
ADMIN = Member(MemberKey("test", "W1", "admin"), "Admin", is_admin=True)


def member(name: str) -> Member:
    return Member(MemberKey("test", "W1", name.lower()), name)


@pytest.fixture
def publisher(core: Casebook) -> RecordingPublisher:
    recorder = RecordingPublisher()
    core.add_publisher("test", recorder)
    return recorder


async def post(core: Casebook, target: str | None = None) -> int:
    result = await core.handle(commands.Post(target), CHANNEL, ADMIN)
    assert isinstance(result, PostedCard), result
    return result.post_id


async def best_and_wrong(core: Casebook, post_id: int) -> tuple[str, str]:
    record = await core.store.get_post(post_id)
    assert record is not None
    wrong = next(letter for letter in "ABCDE" if letter != record.best_letter)
    return record.best_letter, wrong


async def test_a_vote_changed_twice_counts_once_as_the_last_choice(
    core: Casebook, publisher: RecordingPublisher
) -> None:
    post_id = await post(core)
    best, wrong = await best_and_wrong(core, post_id)
    amara = member("Amara")
    first = await core.vote(post_id, amara, wrong)
    second = await core.vote(post_id, amara, best)
    third = await core.vote(post_id, amara, wrong.lower())
    assert isinstance(first, VoteConfirmation) and first.changed_from is None
    assert isinstance(second, VoteConfirmation) and second.changed_from == wrong
    assert isinstance(third, VoteConfirmation) and third.changed_from == best
    assert await core.store.vote_count(post_id) == 1
    card = await core.reveal(post_id)
    assert card is not None
    assert {o.letter: o.votes for o in card.options}[wrong] == 1
    assert card.vote_count == 1


async def test_the_post_shows_the_count_but_never_the_split(core: Casebook, publisher: RecordingPublisher) -> None:
    post_id = await post(core)
    best, _ = await best_and_wrong(core, post_id)
    for name in ("A1", "A2", "A3"):
        await core.vote(post_id, member(name), best)
    await asyncio.sleep(0.05)  # the coalesced count refresh runs after a 10 ms interval in tests
    counts = [card.vote_count for _, _, card in publisher.edits if not isinstance(card, RevealCard)]
    assert counts and counts[-1] == 3
    assert len(counts) < 3  # three clicks, coalesced into fewer edits
    assert not any(hasattr(card, "options") and hasattr(card.options[0], "votes")
                   for _, _, card in publisher.edits if not isinstance(card, RevealCard))


async def test_votes_after_the_reveal_are_refused(core: Casebook, publisher: RecordingPublisher) -> None:
    post_id = await post(core)
    best, _ = await best_and_wrong(core, post_id)
    await core.vote(post_id, member("Bao"), best)
    await core.reveal(post_id)
    late = await core.vote(post_id, member("Carmen"), best)
    assert isinstance(late, Notice) and late.kind is NoticeKind.ERROR and "closed" in late.text
    assert await core.store.vote_count(post_id) == 1


async def test_unknown_post_and_option_are_clear_errors(core: Casebook, publisher: RecordingPublisher) -> None:
    post_id = await post(core)
    unknown_post = await core.vote(9999, member("Dmitri"), "A")
    bad_option = await core.vote(post_id, member("Dmitri"), "Z")
    assert isinstance(unknown_post, Notice) and "no longer exists" in unknown_post.text
    assert isinstance(bad_option, Notice) and "'Z' is not an option" in bad_option.text


async def test_a_reveal_called_twice_awards_once(core: Casebook, publisher: RecordingPublisher) -> None:
    post_id = await post(core)
    best, wrong = await best_and_wrong(core, post_id)
    await core.vote(post_id, member("Esi"), best)
    await core.vote(post_id, member("Farah"), wrong)
    first, second = await asyncio.gather(core.reveal(post_id), core.reveal(post_id))
    assert (first is None) != (second is None) or first is not None
    await core.reveal(post_id)
    board = await core.leaderboard(CHANNEL, Period.ALL)
    assert [(line.name, line.points) for line in board.lines] == [("Esi", 11), ("Farah", 1)]
    assert len(publisher.reveals) == 1
    assert len(publisher.threads) == 1


async def test_the_common_trap_is_the_most_chosen_wrong_answer(
    core: Casebook, publisher: RecordingPublisher
) -> None:
    post_id = await post(core)
    best, wrong = await best_and_wrong(core, post_id)
    await core.vote(post_id, member("G1"), wrong)
    await core.vote(post_id, member("G2"), wrong)
    await core.vote(post_id, member("G3"), best)
    card = await core.reveal(post_id)
    assert card is not None and card.trap is not None and card.trap.letter == wrong
    assert card.best.letter == best
    assert all(option.reasoning for option in card.options)
    assert card.references


async def test_no_trap_when_nobody_chose_a_wrong_answer(core: Casebook, publisher: RecordingPublisher) -> None:
    post_id = await post(core)
    best, _ = await best_and_wrong(core, post_id)
    await core.vote(post_id, member("H1"), best)
    card = await core.reveal(post_id)
    assert card is not None and card.trap is None


async def play_day(core: Casebook, clock: FakeClock, answers: dict[str, bool]) -> None:
    post_id = await post(core)
    best, wrong = await best_and_wrong(core, post_id)
    for name, correct in answers.items():
        await core.vote(post_id, member(name), best if correct else wrong)
    await core.reveal(post_id)
    clock.advance(timedelta(days=1))


async def test_streaks_grow_across_days_and_break_on_a_miss(
    core: Casebook, clock: FakeClock, publisher: RecordingPublisher
) -> None:
    for _ in range(7):
        await play_day(core, clock, {"Ines": True})
    await play_day(core, clock, {"Ines": False})
    await play_day(core, clock, {"Ines": True})
    stats = await core.stats(CHANNEL, member("Ines").key, member("Ines").key)
    assert isinstance(stats, StatsCard)
    assert (stats.current_streak, stats.best_streak) == (1, 7)
    # days 1..7: 11, 12, 13, 14, 15, 16, 16 (bonus capped at +5); a miss: 1; then 11 again
    assert stats.points == 11 + 12 + 13 + 14 + 15 + 16 + 16 + 1 + 11


async def test_a_skipped_day_breaks_the_streak(
    core: Casebook, clock: FakeClock, publisher: RecordingPublisher
) -> None:
    await play_day(core, clock, {"Jo": True, "Kai": True})
    await play_day(core, clock, {"Kai": True})
    await play_day(core, clock, {"Jo": True, "Kai": True})
    jo = await core.stats(CHANNEL, member("Jo").key, member("Jo").key)
    kai = await core.stats(CHANNEL, member("Kai").key, member("Kai").key)
    assert isinstance(jo, StatsCard) and isinstance(kai, StatsCard)
    assert (jo.current_streak, kai.current_streak) == (1, 3)
    assert jo.points == 11 + 11


async def test_leaderboard_weeks_are_the_channels_local_weeks(
    core: Casebook, clock: FakeClock, publisher: RecordingPublisher
) -> None:
    admin_chicago = commands.ScheduleSet(commands.parse_schedule(["09:00", "20:00", "America/Chicago"], []))
    await core.handle(admin_chicago, CHANNEL, ADMIN)
    # Sunday 22:30 in Chicago is already Monday 04:30 UTC: the answer belongs to Chicago's Sunday.
    clock.set(datetime(2026, 3, 16, 3, 30, tzinfo=UTC))
    await play_day(core, clock, {"Lina": True})
    clock.set(datetime(2026, 3, 16, 15, 0, tzinfo=UTC))  # Monday in Chicago: a new week
    board = await core.leaderboard(CHANNEL, Period.WEEK)
    assert board.lines == ()
    assert "week 12" in board.period_label
    clock.set(datetime(2026, 3, 15, 20, 0, tzinfo=UTC))  # back on Sunday in Chicago
    board = await core.leaderboard(CHANNEL, Period.WEEK)
    assert [line.name for line in board.lines] == ["Lina"]
    assert "week 11" in board.period_label
    month = await core.leaderboard(CHANNEL, Period.MONTH)
    assert [line.points for line in month.lines] == [11]


async def test_hidden_members_keep_points_but_not_their_name(
    core: Casebook, clock: FakeClock, publisher: RecordingPublisher
) -> None:
    await play_day(core, clock, {"Mo": True, "Nia": False})
    notice = await core.handle(commands.Privacy("hide"), CHANNEL, member("Mo"))
    assert isinstance(notice, Notice) and "hidden" in notice.text
    board = await core.leaderboard(CHANNEL, Period.ALL)
    assert [(line.name, line.points) for line in board.lines] == [(None, 11), ("Nia", 1)]
    others_view = await core.stats(CHANNEL, member("Mo").key, member("Nia").key)
    assert isinstance(others_view, Notice)
    own_view = await core.stats(CHANNEL, member("Mo").key, member("Mo").key)
    assert isinstance(own_view, StatsCard) and own_view.points == 11
    await core.handle(commands.Privacy("show"), CHANNEL, member("Mo"))
    board = await core.leaderboard(CHANNEL, Period.ALL)
    assert board.lines[0].name == "Mo"


async def test_stats_compare_a_member_with_the_group(
    core: Casebook, clock: FakeClock, publisher: RecordingPublisher
) -> None:
    await play_day(core, clock, {"Oz": True, "Pia": False, "Quin": False, "Rae": True})
    stats = await core.stats(CHANNEL, member("Pia").key, member("Pia").key)
    assert isinstance(stats, StatsCard)
    (topic,) = stats.topics
    assert (topic.member_accuracy, topic.group_accuracy) == (0.0, 0.5)
    assert stats.practise_next == topic.topic


async def test_admin_actions_are_refused_for_members(core: Casebook, publisher: RecordingPublisher) -> None:
    refused = await core.handle(commands.Post(), CHANNEL, member("Sam"))
    assert isinstance(refused, Notice) and refused.kind is NoticeKind.ERROR
    assert publisher.posts == []
    assert isinstance(await core.handle(commands.Reveal(), CHANNEL, member("Sam")), Notice)


async def test_post_by_topic_and_unknown_target(core: Casebook, publisher: RecordingPublisher) -> None:
    await post(core, "group-work")
    assert publisher.posts[-1][1].topic == core.bank.topic_title("group-work")
    unknown = await core.handle(commands.Post("no-such-thing"), CHANNEL, ADMIN)
    assert isinstance(unknown, Notice) and unknown.kind is NoticeKind.ERROR


async def test_no_repeat_until_the_topic_is_used_up(core: Casebook, publisher: RecordingPublisher) -> None:
    topic_size = core.bank.count_by_topic()["group-work"]
    for _ in range(topic_size):
        post_id = await post(core, "group-work")
        await core.reveal(post_id)
    ids = [card.dilemma_id for _, card in publisher.posts]
    assert len(set(ids)) == topic_size


async def test_migrations_apply_to_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    store = SqliteStore(path)
    await store.open()
    version = await store.schema_version()
    await store.close()
    assert version >= 1
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"channels", "members", "posts", "votes", "awards", "score_totals", "streaks"} <= tables
    reopened = SqliteStore(path)
    await reopened.open()
    assert await reopened.schema_version() == version
    await reopened.close()


async def test_concurrent_votes_share_commits_and_all_count(core: Casebook, publisher: RecordingPublisher) -> None:
    post_id = await post(core)
    best, _ = await best_and_wrong(core, post_id)
    results = await asyncio.gather(*(core.vote(post_id, member(f"V{i}"), best) for i in range(300)))
    assert all(isinstance(result, VoteConfirmation) for result in results)
    assert await core.store.vote_count(post_id) == 300


async def test_no_count_edit_lands_after_the_reveal(core: Casebook, publisher: RecordingPublisher) -> None:
    """A slow count edit already on its way finishes before the reveal edit, and none follows it."""
    post_id = await post(core)
    best, _ = await best_and_wrong(core, post_id)
    release = asyncio.Event()
    original = publisher.edit

    async def slow_edit(channel: ChannelKey, ref: str, card: object) -> None:
        if not isinstance(card, RevealCard):
            await release.wait()
        await original(channel, ref, card)  # type: ignore[arg-type]

    publisher.edit = slow_edit  # type: ignore[method-assign]
    await core.vote(post_id, member("S1"), best)
    await asyncio.sleep(0.05)  # the refresh is now sending, held by the slow platform
    await core.vote(post_id, member("S2"), best)
    reveal = asyncio.create_task(core.reveal(post_id))
    await asyncio.sleep(0.05)
    assert not reveal.done()  # waits for the edit on its way
    release.set()
    await reveal
    await asyncio.sleep(0.05)
    kinds = [type(card).__name__ for _, _, card in publisher.edits]
    assert kinds[-1] == "RevealCard" and kinds.count("RevealCard") == 1


async def test_admins_set_scoring_and_recap_per_channel(
    core: Casebook, clock: FakeClock, publisher: RecordingPublisher
) -> None:
    words = commands.parse_command("schedule scoring best=5 cap=2", [])
    saved = await core.handle(words, CHANNEL, ADMIN)
    assert isinstance(saved, Notice) and "5 for the best answer" in saved.text and "+2" in saved.text
    refused = await core.handle(commands.parse_command("schedule recap off", []), CHANNEL, member("Pat"))
    assert isinstance(refused, Notice) and refused.kind is NoticeKind.ERROR
    await core.handle(commands.parse_command("schedule recap off", []), CHANNEL, ADMIN)
    channel = await core.store.get_channel(CHANNEL)
    assert channel is not None and channel.settings == {"scoring": {"best_points": 5, "streak_cap": 2},
                                                        "recap": False}
    for _ in range(4):
        await play_day(core, clock, {"Quinn": True})
    board = await core.leaderboard(CHANNEL, Period.ALL)
    assert board.lines[0].points == (5 + 1) + (5 + 1 + 1) + (5 + 1 + 2) + (5 + 1 + 2)
    with pytest.raises(commands.CommandError, match="not a scoring setting"):
        commands.parse_command("schedule scoring best=-3", [])


async def test_a_channel_admin_listed_by_an_admin_may_post(core: Casebook, publisher: RecordingPublisher) -> None:
    pat = member("Pat")
    assert isinstance(await core.handle(commands.Post(), CHANNEL, pat), Notice)
    listed = await core.handle(commands.parse_command("schedule admins add <@pat>", []), CHANNEL, ADMIN)
    assert isinstance(listed, Notice) and "can now run admin commands" in listed.text
    assert isinstance(await core.handle(commands.Post(), CHANNEL, pat), PostedCard)
    other = ChannelKey("test", "W1", "C2")
    assert isinstance(await core.handle(commands.Post(), other, pat), Notice)  # only in that channel
    await core.handle(commands.parse_command("schedule admins remove <@pat>", []), CHANNEL, ADMIN)
    refused = await core.handle(commands.Reveal(), CHANNEL, pat)
    assert isinstance(refused, Notice) and refused.kind is NoticeKind.ERROR
