"""Helpers for driving the core's scheduler on a controlled clock against any platform."""

from __future__ import annotations

from bot.keys import ChannelKey
from bot.scheduler import next_post_at
from bot.service import Casebook
from bot.store.records import PostRecord
from tests.fakes.clock import FakeClock


async def no_wait(seconds: float) -> None:
    """The scheduler's retry backoff, without waiting."""
    return None


async def send_then_crash(core: Casebook, channel_key: ChannelKey, clock: FakeClock) -> PostRecord:
    """Move to the channel's next post time and do what a process that died mid-post did: reserve the post and
    send it through the platform, but never record where it went."""
    channel = await core.store.get_channel(channel_key)
    assert channel is not None
    due = next_post_at(channel, clock.now())
    assert due is not None
    clock.set(due)
    dilemma = await core.next_dilemma(channel)
    assert dilemma is not None
    post = await core.store.reserve_post(channel.id, dilemma.id, dilemma.topic, "scheduled", due.date(),
                                         due.replace(hour=23), dilemma.best_letter, due)
    await core.publishers[channel_key.platform].post(channel_key, core.dilemma_card(post, dilemma, channel.tz, 0))
    return post
