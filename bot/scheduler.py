"""The daily rhythm: one post per channel per local day, reveals on time, recaps, through restarts and DST.

The store is the source of truth. APScheduler only holds the next moment of each channel and each open post,
rebuilt from the store at start-up and whenever a schedule changes. Fire times are computed here, in the
channel's zone, rather than by a CronTrigger: on a spring-forward day a CronTrigger moves a 02:30 post to 03:30
instead of the first valid minute (03:00), and on a fall-back day it fires twice in the repeated hour. A
DateTrigger per next occurrence, re-armed after each fire, keeps both rules in one small function, and the
store's one-scheduled-post-per-local-day constraint makes a double fire harmless anyway.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock
from bot.localtime import local_date
from bot.publishing import PublishError
from bot.schedule import local_moment, parse_clock, reveal_moment
from bot.service import Casebook
from bot.store import PostAlreadyReserved
from bot.store.records import ALL_DAYS, ChannelRecord, PostRecord

log = logging.getLogger(__name__)

RETRY_DELAYS = (2.0, 10.0, 30.0)
LOOKBACK_DAYS = 8


def next_post_at(channel: ChannelRecord, after: datetime) -> datetime | None:
    """The first scheduled post strictly after `after` (UTC), or None when unscheduled or paused."""
    if channel.post_time is None or channel.paused or not channel.days:
        return None
    zone = ZoneInfo(channel.tz)
    at = parse_clock(channel.post_time)
    day = local_date(after, channel.tz)
    for offset in range(LOOKBACK_DAYS):
        candidate_day = day + timedelta(days=offset)
        if ALL_DAYS[candidate_day.weekday()] not in channel.days:
            continue
        moment = local_moment(candidate_day, at, zone)
        if moment > after:
            return moment
    return None


def last_post_at(channel: ChannelRecord, at_or_before: datetime) -> datetime | None:
    """The latest scheduled post time at or before a moment."""
    if channel.post_time is None or not channel.days:
        return None
    zone = ZoneInfo(channel.tz)
    at = parse_clock(channel.post_time)
    day = local_date(at_or_before, channel.tz)
    for offset in range(LOOKBACK_DAYS):
        candidate_day = day - timedelta(days=offset)
        if ALL_DAYS[candidate_day.weekday()] not in channel.days:
            continue
        moment = local_moment(candidate_day, at, zone)
        if moment <= at_or_before:
            return moment
    return None


def last_day_of_week(channel: ChannelRecord, day: date) -> bool:
    """Is `day` the channel's last posting day of its local week?"""
    scheduled = [ALL_DAYS.index(d) for d in channel.days]
    return bool(scheduled) and day.weekday() == max(scheduled)


class DailyScheduler:
    def __init__(
        self,
        core: Casebook,
        clock: Clock,
        *,
        grace: timedelta = timedelta(hours=2),
        scheduler: AsyncIOScheduler | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self.core = core
        self.clock = clock
        self.grace = grace
        self.scheduler = scheduler
        self.sleep = sleep
        self.retry_delays = tuple(retry_delays)
        core.schedule_listeners.append(self.on_schedule_change)
        core.next_post_at = lambda channel: next_post_at(channel, self.clock.now())

    # -- start-up --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Catch up on what happened while the bot was down, then arm every channel and open post."""
        await self.catch_up()
        for channel in await self.core.store.scheduled_channels():
            self.arm_post(channel)
        for post in await self.core.store.posts_to_reveal():
            self.arm_reveal(post)
        if self.scheduler is not None and not self.scheduler.running:
            self.scheduler.start()

    async def catch_up(self) -> None:
        now = self.clock.now()
        for post in await self.core.store.posts_to_reveal():
            if post.reveal_at <= now:
                await self.reveal(post.id)
        for post in await self.core.store.reserved_posts():
            await self._resume_reserved(post)
        posted = await self.core.store.scheduled_days_since((now - timedelta(days=LOOKBACK_DAYS)).date())
        for channel in await self.core.store.scheduled_channels():
            if channel.paused:
                continue
            missed = last_post_at(channel, now)
            if missed is None or (channel.schedule_updated_at and missed < channel.schedule_updated_at):
                continue
            if (channel.id, local_date(missed, channel.tz)) not in posted:
                await self.fire_post(channel.id, missed)

    async def _resume_reserved(self, post: PostRecord) -> None:
        """A reservation left by a crash between reserving and recording: send it (idempotently) or let it go."""
        channel = await self.core.store.channel_by_id(post.channel_id)
        if channel is None:
            return
        if self.clock.now() - post.created_at > self.grace:
            log.warning("post %s in %s was reserved but never sent and is past the grace period: skipped",
                        post.id, channel.key)
            await self.core.store.mark_skipped(post.id)
            return
        await self._send_with_retries(channel, post, resuming=True)

    # -- arming jobs -----------------------------------------------------------------------------

    def arm_post(self, channel: ChannelRecord) -> None:
        job_id = f"post:{channel.id}"
        when = next_post_at(channel, self.clock.now())
        if self.scheduler is None:
            return
        if when is None:
            if self.scheduler.get_job(job_id):
                self.scheduler.remove_job(job_id)
            return
        self._add_job(job_id, when, self.fire_post, [channel.id, when])

    def arm_reveal(self, post: PostRecord) -> None:
        if self.scheduler is not None:
            self._add_job(f"reveal:{post.id}", max(post.reveal_at, self.clock.now()), self.reveal, [post.id])

    def _add_job(self, job_id: str, when: datetime, func: Callable[..., Awaitable[None]], args: list[Any]) -> None:
        assert self.scheduler is not None
        self.scheduler.add_job(func, DateTrigger(run_date=when), args=args, id=job_id, replace_existing=True,
                               misfire_grace_time=None, coalesce=True)

    async def on_schedule_change(self, channel: ChannelRecord) -> None:
        self.arm_post(channel)

    # -- firing ----------------------------------------------------------------------------------

    async def fire_post(self, channel_id: int, due_at: datetime) -> None:
        """The scheduled post of one channel for the local day of `due_at`; never raises."""
        try:
            await self._fire_post(channel_id, due_at)
        except Exception:  # one channel's failure is logged and never stops the others
            log.exception("the scheduled post of channel %s failed", channel_id)
        finally:
            channel = await self.core.store.channel_by_id(channel_id)
            if channel is not None:
                self.arm_post(channel)

    async def _fire_post(self, channel_id: int, due_at: datetime) -> None:
        channel = await self.core.store.channel_by_id(channel_id)
        if channel is None or channel.paused or channel.post_time is None:
            return
        day = local_date(due_at, channel.tz)
        existing = await self.core.store.scheduled_post_on(channel.id, day)
        if existing is not None:
            if existing.state == "reserved":
                await self._send_with_retries(channel, existing, resuming=True)
            return
        now = self.clock.now()
        dilemma = await self.core.next_dilemma(channel)
        if dilemma is None:
            log.warning("no eligible dilemma for %s (topics %s)", channel.key, sorted(channel.topics))
            return
        reveal_at = reveal_moment(day, due_at, channel.reveal_time, channel.reveal_minutes, ZoneInfo(channel.tz))
        try:
            post = await self.core.store.reserve_post(channel.id, dilemma.id, dilemma.topic, "scheduled", day,
                                                      reveal_at, dilemma.best_letter, now)
        except PostAlreadyReserved:
            return
        if now - due_at > self.grace:
            log.warning("the %s post of %s was missed while the bot was down (due %s): skipped",
                        day, channel.key, due_at.isoformat())
            await self.core.store.mark_skipped(post.id)
            return
        await self._send_with_retries(channel, post)

    async def _send_with_retries(self, channel: ChannelRecord, post: PostRecord, *, resuming: bool = False) -> None:
        for attempt, delay in enumerate((*self.retry_delays, None)):
            try:
                # A failed attempt may still have reached the platform (a timeout after it took the message).
                sent = await self.core.send_reserved(channel, post, resuming=resuming or attempt > 0)
            except PublishError as error:
                if error.lasting or delay is None:
                    await self._give_up(channel, post, error)
                    return
                log.warning("posting to %s failed (%s); retry %d in %.0fs", channel.key, error.reason,
                            attempt + 1, error.retry_after or delay)
                await self.sleep(max(delay, error.retry_after or 0.0))
                continue
            self.arm_reveal(sent)
            return

    async def _give_up(self, channel: ChannelRecord, post: PostRecord, error: PublishError) -> None:
        await self.core.store.mark_attempt_failed(post.id, give_up=True)
        log.error("posting to %s failed for good: %s", channel.key, error.reason)
        if error.lasting:
            # The channel is gone or the bot lost access: pause it until an admin resumes, instead of failing
            # every day. Its other data stays.
            settings = {**channel.settings, "paused_reason": f"posting failed: {error.reason}"}
            await self.core.store.save_channel(dataclasses.replace(channel, paused=True, settings=settings))
            log.error("the schedule of %s is paused until an admin resumes it", channel.key)
            if self.scheduler is not None and self.scheduler.get_job(f"post:{channel.id}"):
                self.scheduler.remove_job(f"post:{channel.id}")

    async def reveal(self, post_id: int) -> None:
        """Reveal a post on time, then the weekly recap if it closed the channel's week; never raises."""
        try:
            post = await self.core.store.get_post(post_id)
            card = await self.core.reveal(post_id)
            if card is None or post is None or post.kind != "scheduled":
                return
            channel = await self.core.store.channel_by_id(post.channel_id)
            if channel is not None and channel.settings.get("recap", True) and last_day_of_week(channel,
                                                                                               post.local_date):
                recap = await self.core.recap(channel, post.local_date)
                await self.core.publishers[channel.key.platform].announce(channel.key, recap)
        except Exception:  # one post's failure is logged and never stops the others
            log.exception("revealing post %s failed", post_id)

    async def shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
