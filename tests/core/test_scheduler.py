"""The daily rhythm under a controlled clock: local times, DST, restarts, missed posts, failures, recaps."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import commands
from bot.cards import DilemmaCard, Notice, ScheduleCard
from bot.keys import ChannelKey, Member, MemberKey
from bot.publishing import PublishError
from bot.scenarios import Bank
from bot.scheduler import DailyScheduler, next_post_at
from bot.service import Casebook
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock
from tests.fakes.publisher import RecordingPublisher
from tests.fakes.scheduling import no_wait

ADMIN = Member(MemberKey("test", "W1", "admin"), "Admin", is_admin=True)
CHICAGO = ChannelKey("test", "W1", "chicago")
LONDON = ChannelKey("test", "W1", "london")
TOKYO = ChannelKey("test", "W1", "tokyo")
NEW_YORK = ChannelKey("test", "W1", "new-york")


class Bot:
    """One process's worth of core and scheduler over a store file; `restart` is a crash and a new process."""

    def __init__(self, path: Path, bank: Bank, clock: FakeClock, publisher: RecordingPublisher) -> None:
        self.path, self.bank, self.clock, self.publisher = path, bank, clock, publisher
        self.core: Casebook
        self.scheduler: DailyScheduler

    async def start(self) -> None:
        store = SqliteStore(self.path)
        await store.open()
        self.core = Casebook(store, self.bank, self.clock, rng=random.Random(3), refresh_seconds=3600)
        self.core.add_publisher("test", self.publisher)
        self.scheduler = DailyScheduler(self.core, self.clock, sleep=no_wait)
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.core.close()
        await self.core.store.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def schedule(self, channel: ChannelKey, *words: str) -> None:
        request = commands.parse_schedule(list(words), self.bank.topics)
        card = await self.core.handle(commands.ScheduleSet(request), channel, ADMIN)
        assert isinstance(card, ScheduleCard), card

    async def run_until(self, end: datetime) -> None:
        """Move the clock from event to event (posts and reveals), firing each as APScheduler would."""
        while True:
            now = self.clock.now()
            events: list[tuple[datetime, str, int]] = []
            for channel in await self.core.store.scheduled_channels():
                when = next_post_at(channel, now)
                if when is not None:
                    events.append((when, "post", channel.id))
            for post in await self.core.store.posts_to_reveal():
                events.append((max(post.reveal_at, now), "reveal", post.id))
            upcoming = min(events, default=None)
            if upcoming is None or upcoming[0] > end:
                self.clock.set(end)
                return
            self.clock.set(upcoming[0])
            for when, kind, ident in sorted(events):
                if when != upcoming[0]:
                    continue
                if kind == "post":
                    await self.scheduler.fire_post(ident, when)
                else:
                    await self.scheduler.reveal(ident)


@pytest.fixture
async def bot(tmp_path: Path, bank: Bank, clock: FakeClock) -> AsyncIterator[Bot]:
    running = Bot(tmp_path / "casebook.sqlite3", bank, clock, RecordingPublisher())
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def record_post_times(bot: Bot) -> dict[ChannelKey, list[datetime]]:
    """Wrap the publisher so each post remembers the (controlled) time it was sent."""
    times: dict[ChannelKey, list[datetime]] = {}
    original = bot.publisher.post

    async def post(channel: ChannelKey, card: DilemmaCard) -> str:
        if not any(c.post_id == card.post_id for _, c in bot.publisher.posts):
            times.setdefault(channel, []).append(bot.clock.now())
        return await original(channel, card)

    bot.publisher.post = post  # type: ignore[method-assign]
    return times


async def test_posts_go_out_at_local_time_in_three_zones(
    bot: Bot, clock: FakeClock, record_post_times: dict[ChannelKey, list[datetime]]
) -> None:
    clock.set(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    await bot.schedule(LONDON, "09:00", "20:00", "Europe/London")
    await bot.schedule(TOKYO, "07:30", "21:00", "Asia/Tokyo")
    await bot.run_until(datetime(2026, 6, 4, 0, 0, tzinfo=UTC))
    for channel, zone, hour_minute in ((CHICAGO, "America/Chicago", (9, 0)), (LONDON, "Europe/London", (9, 0)),
                                       (TOKYO, "Asia/Tokyo", (7, 30))):
        local = [moment.astimezone(ZoneInfo(zone)) for moment in record_post_times[channel]]
        assert len(local) >= 3
        assert {(m.hour, m.minute) for m in local} == {hour_minute}
        assert len({m.date() for m in local}) == len(local)  # one a day
    assert len(bot.publisher.reveals) >= 7


@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        ("America/New_York", datetime(2026, 3, 6), datetime(2026, 3, 11)),
        ("America/New_York", datetime(2026, 10, 30), datetime(2026, 11, 4)),
        ("Europe/London", datetime(2026, 3, 27), datetime(2026, 4, 1)),
        ("Europe/London", datetime(2026, 10, 23), datetime(2026, 10, 28)),
    ],
)
async def test_a_nine_oclock_post_stays_at_nine_through_dst(
    bot: Bot, clock: FakeClock, record_post_times: dict[ChannelKey, list[datetime]], zone: str,
    start: datetime, end: datetime,
) -> None:
    clock.set(start.replace(tzinfo=UTC))
    await bot.schedule(NEW_YORK, "09:00", "20:00", zone)
    await bot.run_until(end.replace(tzinfo=UTC) + timedelta(hours=6))
    local = [moment.astimezone(ZoneInfo(zone)) for moment in record_post_times[NEW_YORK]]
    assert len(local) == (end - start).days
    assert {(m.hour, m.minute) for m in local} == {(9, 0)}
    assert len(bot.publisher.reveals) == len(local)


async def test_a_time_skipped_by_spring_forward_posts_at_the_first_valid_minute(
    bot: Bot, clock: FakeClock, record_post_times: dict[ChannelKey, list[datetime]]
) -> None:
    clock.set(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    await bot.schedule(NEW_YORK, "02:30", "20:00", "America/New_York")
    await bot.run_until(datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    local = [m.astimezone(ZoneInfo("America/New_York")) for m in record_post_times[NEW_YORK]]
    assert [(m.day, m.hour, m.minute) for m in local] == [(8, 3, 0), (9, 2, 30)]


async def test_a_time_that_happens_twice_posts_once(
    bot: Bot, clock: FakeClock, record_post_times: dict[ChannelKey, list[datetime]]
) -> None:
    clock.set(datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    await bot.schedule(NEW_YORK, "01:30", "20:00", "America/New_York")
    await bot.run_until(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    local = [m.astimezone(ZoneInfo("America/New_York")) for m in record_post_times[NEW_YORK]]
    assert [(m.day, m.hour, m.minute) for m in local] == [(1, 1, 30), (2, 1, 30)]
    # Even if a trigger fired again in the repeated hour, the store refuses a second post for that day.
    channel = await bot.core.store.get_channel(NEW_YORK)
    assert channel is not None
    await bot.scheduler.fire_post(channel.id, datetime(2026, 11, 1, 6, 30, tzinfo=UTC))
    assert len(record_post_times[NEW_YORK]) == 2


class Crash(BaseException):
    """Stands for the process dying at that exact point."""


async def test_restart_between_reservation_and_send(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 13, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    original = bot.publisher.post

    async def crash(channel: ChannelKey, card: DilemmaCard) -> str:
        raise Crash

    bot.publisher.post = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await bot.scheduler._fire_post((await bot.core.store.get_channel(CHICAGO)).id,  # type: ignore[union-attr]
                                       datetime(2026, 6, 1, 14, 0, tzinfo=UTC))
    bot.publisher.post = original  # type: ignore[method-assign]
    clock.advance(timedelta(minutes=5))
    await bot.restart()
    await bot.run_until(datetime(2026, 6, 2, 3, 0, tzinfo=UTC))
    assert len(bot.publisher.posts) == 1
    assert len(bot.publisher.reveals) == 1


async def test_restart_between_send_and_recording(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 13, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    original = bot.publisher.post

    async def send_then_crash(channel: ChannelKey, card: DilemmaCard) -> str:
        await original(channel, card)
        raise Crash

    bot.publisher.post = send_then_crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await bot.scheduler._fire_post((await bot.core.store.get_channel(CHICAGO)).id,  # type: ignore[union-attr]
                                       datetime(2026, 6, 1, 14, 0, tzinfo=UTC))
    bot.publisher.post = original  # type: ignore[method-assign]
    await bot.restart()
    await bot.run_until(datetime(2026, 6, 2, 3, 0, tzinfo=UTC))
    assert len(bot.publisher.posts) == 1
    assert len(bot.publisher.reveals) == 1


async def test_restart_between_post_and_reveal_reveals_once_on_time_or_at_once(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 13, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    await bot.run_until(datetime(2026, 6, 1, 15, 0, tzinfo=UTC))
    assert len(bot.publisher.posts) == 1
    (_, card), = bot.publisher.posts
    await bot.core.vote(card.post_id, Member(MemberKey("test", "W1", "u1"), "U1"), "A")
    await bot.stop()
    clock.set(datetime(2026, 6, 2, 3, 0, tzinfo=UTC))  # down through 20:00 Chicago: the reveal is overdue
    await bot.start()
    assert len(bot.publisher.reveals) == 1
    assert bot.publisher.reveals[0].vote_count == 1
    await bot.restart()
    assert len(bot.publisher.reveals) == 1


async def test_a_missed_post_inside_the_grace_period_is_sent_late(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    await bot.stop()
    clock.set(datetime(2026, 6, 1, 15, 30, tzinfo=UTC))  # 10:30 in Chicago: 90 minutes late
    await bot.start()
    assert len(bot.publisher.posts) == 1


async def test_a_missed_post_outside_the_grace_period_is_skipped_and_logged(
    bot: Bot, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    await bot.stop()
    clock.set(datetime(2026, 6, 1, 17, 30, tzinfo=UTC))  # 12:30 in Chicago: 3.5 hours late
    await bot.start()
    assert bot.publisher.posts == []
    assert "missed while the bot was down" in caplog.text
    await bot.run_until(datetime(2026, 6, 2, 15, 0, tzinfo=UTC))
    assert len(bot.publisher.posts) == 1  # the next day's post is on time


async def test_pause_and_resume(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    paused = await bot.core.handle(commands.SchedulePause(), CHICAGO, ADMIN)
    assert isinstance(paused, ScheduleCard) and paused.paused and paused.next_post_at is None
    await bot.run_until(datetime(2026, 6, 3, 12, 0, tzinfo=UTC))
    assert bot.publisher.posts == []
    resumed = await bot.core.handle(commands.ScheduleResume(), CHICAGO, ADMIN)
    assert isinstance(resumed, ScheduleCard) and resumed.next_post_at is not None
    assert resumed.next_post_at.hour == 9
    await bot.run_until(datetime(2026, 6, 4, 12, 0, tzinfo=UTC))
    assert len(bot.publisher.posts) == 1
    refused = await bot.core.handle(commands.SchedulePause(), CHICAGO, Member(MemberKey("test", "W1", "x"), "X"))
    assert isinstance(refused, Notice)


async def test_no_repeat_until_the_eligible_dilemmas_are_used_up(bot: Bot, clock: FakeClock, bank: Bank) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago", "daily", "group-work")
    size = bank.count_by_topic()["group-work"]
    await bot.run_until(datetime(2026, 6, 1, 12, 0, tzinfo=UTC) + timedelta(days=2 * size))
    ids = [card.dilemma_id for _, card in bot.publisher.posts]
    assert len(ids) == 2 * size
    assert len(set(ids[:size])) == size and len(set(ids[size:])) == size
    assert ids[:size] != ids[size:]  # the second cycle comes in a new order


async def test_difficulty_rotates_through_the_week(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))  # a Monday
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    await bot.run_until(datetime(2026, 6, 8, 12, 0, tzinfo=UTC))
    difficulties = [card.difficulty for _, card in bot.publisher.posts]
    assert difficulties == [1, 2, 3, 1, 2, 3, 2]


async def test_a_failing_channel_never_stops_a_healthy_one(
    bot: Bot, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago")
    await bot.schedule(LONDON, "15:00", "20:00", "Europe/London")  # the same instant as 09:00 in Chicago
    await bot.schedule(TOKYO, "23:00", "23:30", "Asia/Tokyo")
    bot.publisher.failing[CHICAGO] = PublishError("HTTP 503", retry_after=1)
    bot.publisher.failing[TOKYO] = PublishError("channel_not_found", lasting=True)
    await bot.run_until(datetime(2026, 6, 2, 12, 0, tzinfo=UTC))
    assert [key for key, _ in bot.publisher.posts] == [LONDON]
    assert "failed for good: HTTP 503" in caplog.text
    tokyo = await bot.core.store.get_channel(TOKYO)
    chicago = await bot.core.store.get_channel(CHICAGO)
    assert tokyo is not None and tokyo.paused  # lasting failure: paused until an admin resumes
    shown = await bot.core.handle(commands.ScheduleShow(), TOKYO, ADMIN)
    assert isinstance(shown, ScheduleCard) and shown.paused_reason == "posting failed: channel_not_found"
    resumed = await bot.core.handle(commands.ScheduleResume(), TOKYO, ADMIN)
    assert isinstance(resumed, ScheduleCard) and not resumed.paused and resumed.paused_reason is None
    assert chicago is not None and not chicago.paused  # passing failure: tried again tomorrow
    del bot.publisher.failing[CHICAGO]
    await bot.run_until(datetime(2026, 6, 3, 12, 0, tzinfo=UTC))
    assert Counter(key for key, _ in bot.publisher.posts) == {LONDON: 2, CHICAGO: 1}


async def test_weekly_recap_in_a_week_that_ends_on_a_dst_change(bot: Bot, clock: FakeClock) -> None:
    # Europe/London falls back on Sunday 25 October 2026, the last day of that local week.
    clock.set(datetime(2026, 10, 19, 6, 0, tzinfo=UTC))
    await bot.schedule(LONDON, "09:00", "21:00", "Europe/London")
    for day in range(7):
        await bot.run_until(datetime(2026, 10, 19, 12, 0, tzinfo=UTC) + timedelta(days=day))
        _, card = bot.publisher.posts[-1]
        post = await bot.core.store.get_post(card.post_id)
        assert post is not None
        for index in range(6):
            letter = post.best_letter if index < 3 + (day % 3) else next(c for c in "ABCD" if c != post.best_letter)
            await bot.core.vote(card.post_id, Member(MemberKey("test", "W1", f"m{index}"), f"M{index}"), letter)
    await bot.run_until(datetime(2026, 10, 26, 6, 0, tzinfo=UTC))
    assert len(bot.publisher.recaps) == 1
    _, recap = bot.publisher.recaps[0]
    assert "week 43" in recap.week_label
    assert len(recap.top) == 5 and recap.answered == 42
    assert recap.correct == sum(3 + (day % 3) for day in range(7))
    assert recap.most_split_title is not None and recap.most_split_ref is not None


async def test_recap_can_be_turned_off(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 6, 0, tzinfo=UTC))
    await bot.schedule(LONDON, "09:00", "21:00", "Europe/London", "mon-fri")
    channel = await bot.core.store.get_channel(LONDON)
    assert channel is not None
    await bot.core.store.save_channel(type(channel)(**{**channel.__dict__, "settings": {"recap": False}}))
    await bot.run_until(datetime(2026, 6, 8, 6, 0, tzinfo=UTC))
    assert len(bot.publisher.posts) == 5 and bot.publisher.recaps == []


async def test_start_arms_apscheduler_jobs_from_the_store(tmp_path: Path, bank: Bank) -> None:
    clock = FakeClock(datetime.now(UTC))
    store = SqliteStore(tmp_path / "jobs.sqlite3")
    await store.open()
    core = Casebook(store, bank, clock)
    core.add_publisher("test", RecordingPublisher())
    apscheduler = AsyncIOScheduler(timezone=UTC)
    scheduler = DailyScheduler(core, clock, scheduler=apscheduler, sleep=no_wait)
    await scheduler.start()
    request = commands.parse_schedule(["09:00", "20:00", "America/Chicago"], bank.topics)
    await core.handle(commands.ScheduleSet(request), CHICAGO, ADMIN)
    job = apscheduler.get_job("post:1")
    assert job is not None
    local = job.next_run_time.astimezone(ZoneInfo("America/Chicago"))
    assert (local.hour, local.minute) == (9, 0)
    await core.handle(commands.SchedulePause(), CHICAGO, ADMIN)
    assert apscheduler.get_job("post:1") is None
    await scheduler.shutdown()
    await core.close()
    await store.close()


async def test_a_difficulty_filter_keeps_a_channel_to_one_level(bot: Bot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    await bot.schedule(CHICAGO, "09:00", "20:00", "America/Chicago", "daily", "difficulty=3")
    shown = await bot.core.handle(commands.ScheduleShow(), CHICAGO, ADMIN)
    assert isinstance(shown, ScheduleCard) and shown.difficulty == 3
    await bot.run_until(datetime(2026, 6, 8, 12, 0, tzinfo=UTC))
    assert [card.difficulty for _, card in bot.publisher.posts] == [3] * 7
    with pytest.raises(commands.CommandError, match="difficulty=1, 2, 3 or any"):
        commands.parse_command("schedule set 09:00 20:00 UTC difficulty=9", [])
