"""The daily rhythm on the local Discord: a scheduled post at 09:00 Chicago time and its reveal, on a controlled
clock driving the core's scheduler as APScheduler would."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.keys import ChannelKey
from bot.scheduler import DailyScheduler, next_post_at
from bot.service import Casebook
from tests.discord.conftest import Running
from tests.discord.test_loop import vote_id
from tests.fakes.clock import FakeClock
from tests.fakes.discord_server import ADMIN_PERMISSIONS, FakeDiscord
from tests.fakes.scheduling import no_wait, send_then_crash


async def test_a_scheduled_post_and_its_reveal(fake: FakeDiscord, core: Casebook, clock: FakeClock,
                                               running: Running) -> None:
    options = {"post_time": "09:00", "reveal": "20:00", "timezone": "America/Chicago", "days": "mon-fri"}
    done = await (await fake.slash("schedule set", options, user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert "09:00" in done.text()
    scheduler = DailyScheduler(core, clock, sleep=no_wait)
    channel = await core.store.get_channel(ChannelKey("discord", str(fake.guild_id), str(fake.channel_id)))
    assert channel is not None
    due = next_post_at(channel, clock.now())
    assert due is not None
    local = due.astimezone(ZoneInfo("America/Chicago"))
    assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5

    clock.set(due)
    await scheduler.fire_post(channel.id, due)
    await scheduler.fire_post(channel.id, due)  # a second fire for the same day posts nothing more
    posts = [m for m in fake.channel_messages() if m["components"]]
    assert len(posts) == 1
    post = posts[0]
    answer = await (await fake.click(vote_id(post, "A"), user="ana")).wait()
    assert answer.ephemeral and "You chose **A**" in answer.text()

    open_posts = await core.store.open_posts(channel.id)
    (record,) = open_posts
    assert record.reveal_at.astimezone(ZoneInfo("America/Chicago")).hour == 20
    clock.set(record.reveal_at)
    await scheduler.reveal(record.id)
    edited = fake.messages[int(post["id"])]
    assert all(button["disabled"] for row in edited["components"] for button in row["components"])
    assert int(post["id"]) in fake.threads


async def test_a_post_sent_before_a_crash_is_found_not_sent_again(fake: FakeDiscord, core: Casebook,
                                                                  clock: FakeClock, running: Running) -> None:
    options = {"post_time": "09:00", "reveal": "20:00", "timezone": "America/Chicago"}
    await (await fake.slash("schedule set", options, user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    channel = await core.store.get_channel(ChannelKey("discord", str(fake.guild_id), str(fake.channel_id)))
    assert channel is not None
    record = await send_then_crash(core, channel.key, clock)
    await DailyScheduler(core, clock, sleep=no_wait).catch_up()
    sent = [m for m in fake.channel_messages() if m["components"]]
    assert len(sent) == 1
    recorded = await core.store.get_post(record.id)
    assert recorded is not None and recorded.state == "open" and recorded.message_ref == sent[0]["id"]
