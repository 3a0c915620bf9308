"""The daily rhythm on the local Slack: a scheduled post at 09:00 Chicago time and its reveal, on a controlled
clock driving the core's scheduler as APScheduler would, in both modes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.keys import ChannelKey
from bot.scheduler import DailyScheduler, next_post_at
from tests.fakes.scheduling import no_wait, send_then_crash
from tests.slack.conftest import SlackHarness


async def test_a_scheduled_post_and_its_reveal(slack: SlackHarness) -> None:
    fake, core, clock = slack.fake, slack.core, slack.clock
    done = await slack.command_reply("U0ADMIN", "schedule set 09:00 20:00 America/Chicago mon-fri")
    assert "Posts at *09:00*" in done
    scheduler = DailyScheduler(core, clock, sleep=no_wait)
    channel = await core.store.get_channel(ChannelKey("slack", fake.team_id, "C0STUDY"))
    assert channel is not None
    due = next_post_at(channel, clock.now())
    assert due is not None
    local = due.astimezone(ZoneInfo("America/Chicago"))
    assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5

    clock.set(due)
    await scheduler.fire_post(channel.id, due)
    await scheduler.fire_post(channel.id, due)  # a second fire for the same day posts nothing more
    (message,) = fake.channel_messages("C0STUDY")
    assert "You chose B" in await slack.vote("U0MEMBER1", message, "B")

    (record,) = await core.store.open_posts(channel.id)
    assert record.reveal_at.astimezone(ZoneInfo("America/Chicago")).hour == 20
    clock.set(record.reveal_at)
    await scheduler.reveal(record.id)
    await fake.wait_for(lambda: bool(fake.thread_replies("C0STUDY", message.ts)))
    assert not any(block.get("type") == "actions" for block in message.blocks)


async def test_a_post_sent_before_a_crash_is_found_not_sent_again(slack: SlackHarness) -> None:
    fake, core, clock = slack.fake, slack.core, slack.clock
    await slack.command_reply("U0ADMIN", "schedule set 09:00 20:00 America/Chicago")
    channel = await core.store.get_channel(ChannelKey("slack", fake.team_id, "C0STUDY"))
    assert channel is not None
    record = await send_then_crash(core, channel.key, clock)
    await DailyScheduler(core, clock, sleep=no_wait).catch_up()
    (message,) = fake.channel_messages("C0STUDY")
    recorded = await core.store.get_post(record.id)
    assert recorded is not None and recorded.state == "open" and recorded.message_ref == message.ts
