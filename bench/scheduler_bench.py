"""10,000 scheduled channels: start-up to every job armed, and how late posts fire under a simulated clock."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bench.table import Row
from bot.bank_loader import load_bank
from bot.keys import ChannelKey
from bot.localtime import local_date
from bot.scheduler import DailyScheduler, last_post_at, next_post_at
from bot.service import Casebook
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock
from tests.fakes.publisher import RecordingPublisher

CHANNELS = 10_000
ZONES = ("America/Chicago", "America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Sydney", "UTC")


async def _no_wait(seconds: float) -> None:
    return None


async def _seed(path: Path, clock: FakeClock) -> None:
    """10,000 channels with post times spread over the day, each with its latest post already made."""
    store = SqliteStore(path)
    await store.open()
    rng = random.Random(9)
    created = clock.now() - timedelta(days=2)
    for index in range(CHANNELS):
        channel = await store.ensure_channel(ChannelKey("bench", "W", f"C{index}"), created)
        minute = rng.randrange(24 * 60)
        scheduled = dataclasses.replace(
            channel, tz=rng.choice(ZONES), post_time=f"{minute // 60:02d}:{minute % 60:02d}", reveal_minutes=600,
            schedule_updated_at=created,
        )
        await store.save_channel(scheduled)
        latest = last_post_at(scheduled, clock.now())
        assert latest is not None
        await store.reserve_post(channel.id, "group-member-repeats-disclosures", "group-work", "scheduled",
                                 local_date(latest, scheduled.tz), clock.now() + timedelta(hours=20), "C", latest)
    await store.close()


async def scheduler_rows(work: Path) -> list[Row]:
    # The clock starts at the real now so that APScheduler, which runs on real time, sees every job in the future.
    clock = FakeClock(datetime.now(UTC))
    path = work / "channels.sqlite3"
    await _seed(path, clock)
    store = SqliteStore(path)
    await store.open()
    core = Casebook(store, load_bank(), clock, refresh_seconds=3600)
    publisher = RecordingPublisher()
    core.add_publisher("bench", publisher)
    for post in await store.reserved_posts():  # the seeded posts were made before this "restart"
        await store.mark_posted(post.id, f"msg-{post.id}", post.created_at)
    apscheduler = AsyncIOScheduler(timezone=UTC)
    scheduler = DailyScheduler(core, clock, scheduler=apscheduler, sleep=_no_wait)
    started = time.perf_counter()
    await scheduler.start()
    startup = time.perf_counter() - started
    armed = len([job for job in apscheduler.get_jobs() if job.id.startswith("post:")])
    await scheduler.shutdown()

    lateness = await _simulate_a_day(core, scheduler, clock)
    await core.close()
    await store.close()
    return [
        Row(f"{CHANNELS:,} scheduled channels: start-up to every job armed", f"{startup:.2f} s",
            f"{armed:,} post jobs armed", "< 3 s", startup < 3 and armed == CHANNELS),
        Row("lateness of fired posts over a simulated day", f"{max(lateness):.3f} s worst",
            f"median {statistics.median(lateness) * 1000:.1f} ms over {len(lateness):,} posts", "< 2 s",
            max(lateness) < 2),
    ]


async def _simulate_a_day(core: Casebook, scheduler: DailyScheduler, clock: FakeClock) -> list[float]:
    """Each minute's due posts fire together on a clock held at their due time; lateness is the wall time
    the scheduler needs to get each one out."""
    channels = await core.store.scheduled_channels()
    start = clock.now()
    due: dict[datetime, list[int]] = {}
    for channel in channels:
        when = next_post_at(channel, start)
        if when is not None and when < start + timedelta(days=1):
            due.setdefault(when, []).append(channel.id)
    lateness: list[float] = []
    for when in sorted(due):
        clock.set(when)
        began = time.perf_counter()

        async def fire(channel_id: int, at: datetime = when, t0: float = began) -> None:
            await scheduler.fire_post(channel_id, at)
            lateness.append(time.perf_counter() - t0)

        await asyncio.gather(*(fire(channel_id) for channel_id in due[when]))
    return lateness
