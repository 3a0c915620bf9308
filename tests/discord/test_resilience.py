"""Restarts, bursts, reconnects and Discord's failures, against the local Discord."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import pytest

from adapters.discord import DiscordAdapter
from adapters.discord.render import render
from bot.cards import DilemmaCard, DiscussionCard, OptionLine
from bot.keys import ChannelKey
from bot.publishing import PublishError
from bot.scenarios import Bank
from bot.service import Casebook
from tests.discord.conftest import Running, close_core, discord_settings, open_core, start_adapter
from tests.discord.test_loop import post_dilemma, vote_id
from tests.fakes.clock import FakeClock
from tests.fakes.discord_server import ADMIN_PERMISSIONS, DEFERRED_CHANNEL_MESSAGE, FakeDiscord


async def test_restart_between_post_and_reveal_keeps_old_buttons_working(
        fake: FakeDiscord, bank: Bank, clock: FakeClock, db_path: Path) -> None:
    core = await open_core(db_path, bank, clock)
    first = await start_adapter(fake, core, db_path)
    post = await post_dilemma(fake)
    await (await fake.click(vote_id(post, "A"), user="ana")).wait()
    await (await fake.click(vote_id(post, "B"), user="ben")).wait()
    await first.stop()
    await close_core(core)

    core = await open_core(db_path, bank, clock)
    second = await start_adapter(fake, core, db_path)
    try:
        assert fake.command_puts == 1, "an unchanged command tree must not be synced again"
        assert fake.identifies == 2
        changed = await (await fake.click(vote_id(post, "C"), user="ana")).wait()
        assert "changed from A" in changed.text()
        new = await (await fake.click(vote_id(post, "B"), user="chloe")).wait()
        assert "You chose **B**" in new.text()
        post_id = int(vote_id(post, "A").split(":")[2])
        assert await core.store.vote_count(post_id) == 3
        await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
        revealed = str(fake.messages[int(post["id"])]["embeds"])
        assert "B ██████▋" in revealed or "2 votes" in revealed
        assert "3 votes" in revealed
    finally:
        await second.stop()
        await close_core(core)


async def test_a_burst_of_500_clicks_is_answered_and_counted(fake: FakeDiscord, core: Casebook,
                                                             running: Running) -> None:
    post = await post_dilemma(fake)
    letters = [c["custom_id"] for row in post["components"] for c in row["components"]]
    clicks = [fake.make_click(letters[i % len(letters)], user=f"member{i}") for i in range(500)]
    await fake.send_many(clicks)
    await asyncio.wait_for(asyncio.gather(*(click.wait(timeout=10) for click in clicks)), 15)
    assert all("You chose" in click.text() and click.ephemeral for click in clicks)
    # a burst is deferred at once and confirmed by follow-ups once every first answer is out
    assert any(click.callback_type == DEFERRED_CHANNEL_MESSAGE for click in clicks)
    latencies = sorted(click.latency or 0 for click in clicks)
    assert latencies[-1] < 3.0, f"slowest first answer {latencies[-1]:.2f}s"
    post_id = int(letters[0].split(":")[2])
    assert await core.store.vote_count(post_id) == 500
    await fake.until(lambda: "500 votes" in str(fake.messages[int(post["id"])]["embeds"]))


async def test_a_slow_core_is_deferred_then_followed_up(fake: FakeDiscord, core: Casebook, running: Running,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    post = await post_dilemma(fake)
    release = asyncio.Event()
    real_vote = core.vote

    async def slow_vote(*args: object, **kwargs: object) -> object:
        await release.wait()
        return await real_vote(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(core, "vote", slow_vote)
    monkeypatch.setattr("adapters.discord.adapter.DEFER_AFTER", 0.05)
    click = await fake.click(vote_id(post, "A"), user="patient")
    await click.wait_answered()
    assert click.callback_type == DEFERRED_CHANNEL_MESSAGE
    assert click.callback is not None and click.callback["data"]["flags"] & 64
    release.set()
    await click.wait()
    assert "You chose **A**" in click.text() and click.ephemeral


async def test_gateway_reconnects_resume_and_clicks_still_work(fake: FakeDiscord, running: Running) -> None:
    post = await post_dilemma(fake)
    await fake.reconnect()
    await asyncio.wait_for(fake.ready.wait(), 10)
    assert fake.resumes == 1
    first = await (await fake.click(vote_id(post, "A"), user="ana")).wait()
    assert "You chose" in first.text()
    await fake.drop_connection()
    await asyncio.wait_for(fake.ready.wait(), 10)
    assert fake.resumes == 2
    again = await (await fake.click(vote_id(post, "B"), user="ana")).wait()
    assert "changed from A" in again.text()


def card_for(bank: Bank, post_id: int = 1) -> DilemmaCard:
    dilemma = next(iter(bank.dilemmas.values()))
    from datetime import UTC, datetime
    return DilemmaCard(post_id, dilemma.id, dilemma.title, dilemma.situation, dilemma.question,
                       tuple(OptionLine(letter, o.text) for letter, o in zip(dilemma.letters, dilemma.options,
                                                                             strict=True)),
                       dilemma.topic, dilemma.difficulty, datetime(2026, 3, 2, 20, tzinfo=UTC), 0)


async def test_discord_failures_become_publish_errors(fake: FakeDiscord, bank: Bank, running: Running) -> None:
    publisher = running.adapter.publisher
    here = ChannelKey("discord", str(fake.guild_id), str(fake.channel_id))
    gone = ChannelKey("discord", str(fake.guild_id), str(fake.new_id()))
    with pytest.raises(PublishError) as missing:
        await publisher.post(gone, card_for(bank))
    assert missing.value.lasting
    locked = fake.add_channel("locked")
    fake.forbidden_channels.add(locked)
    with pytest.raises(PublishError) as forbidden:
        await publisher.post(ChannelKey("discord", str(fake.guild_id), str(locked)), card_for(bank))
    assert forbidden.value.lasting and "403" in forbidden.value.reason
    fake.fail("POST", r"^/channels/\d+/messages$", 503)
    with pytest.raises(PublishError) as busy:
        await publisher.post(here, card_for(bank))
    assert not busy.value.lasting
    fake.fail("POST", r"^/channels/\d+/messages$", 429, retry_after=0.01)
    ref = await publisher.post(here, card_for(bank))  # discord.py waits out a short 429 and retries
    assert int(ref) in fake.messages
    fake.fail("POST", r"^/channels/\d+/messages$", 429, retry_after=120)
    with pytest.raises(PublishError) as limited:
        await publisher.post(here, card_for(bank))
    assert not limited.value.lasting and limited.value.retry_after == 120
    discussion = DiscussionCard(1, "A title", "What would you do first?")
    thread = await publisher.open_thread(here, ref, discussion)
    assert thread == ref
    assert await publisher.open_thread(here, ref, discussion) == ref, "a second thread on a message is refused"
    assert len(fake.channel_messages(int(thread))) == 1


async def test_a_post_the_bot_cannot_send_is_a_private_notice(fake: FakeDiscord, running: Running) -> None:
    fake.forbidden_channels.add(fake.channel_id)
    answer = await (await fake.slash("dilemma post", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert answer.ephemeral and "could not post" in answer.text()


async def test_the_token_never_reaches_a_log(fake: FakeDiscord, core: Casebook, db_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    started = await start_adapter(fake, core, db_path)
    try:
        post = await post_dilemma(fake)
        await (await fake.click(vote_id(post, "A"), user="ana")).wait()
        await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    finally:
        await started.stop()
    assert caplog.records
    assert fake.token not in caplog.text
    assert all(fake.token not in str(record.args) for record in caplog.records)


async def test_a_wrong_token_fails_loudly_without_showing_it(fake: FakeDiscord, core: Casebook, db_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = discord_settings(fake, db_path).model_copy(update={"discord_token": None})
    with pytest.raises(ValueError, match="DISCORD_TOKEN"):
        DiscordAdapter(settings, core)
    from pydantic import SecretStr
    wrong = "wrong-token.secret.value"
    adapter = DiscordAdapter(settings.model_copy(update={"discord_token": SecretStr(wrong)}), core)
    with pytest.raises(discord.LoginFailure):
        await asyncio.wait_for(adapter.run(), 10)
    assert wrong not in caplog.text


async def test_commands_sync_to_the_dev_guild(fake: FakeDiscord, core: Casebook, db_path: Path) -> None:
    adapter = DiscordAdapter(discord_settings(fake, db_path).model_copy(
        update={"discord_dev_guild_id": fake.guild_id}), core)
    task = asyncio.create_task(adapter.run())
    try:
        await asyncio.wait_for(fake.ready.wait(), 10)
        assert fake.global_commands == []
        assert {c["name"] for c in fake.guild_commands[fake.guild_id]} >= {"dilemma", "schedule"}
    finally:
        await Running(adapter, task).stop()


async def test_an_unknown_card_fails_loudly() -> None:
    with pytest.raises(TypeError):
        render(object())  # type: ignore[arg-type]


async def test_commands_are_synced_again_when_the_tree_changes(fake: FakeDiscord, core: Casebook,
                                                               db_path: Path) -> None:
    first = await start_adapter(fake, core, db_path)
    await first.stop()
    assert fake.command_puts == 1
    again = await start_adapter(fake, core, db_path)
    await again.stop()
    assert fake.command_puts == 1
    hash_file = db_path.with_name(db_path.name + ".discord-commands.sha256")
    hash_file.write_text("an older command tree\n")
    changed = await start_adapter(fake, core, db_path)
    await changed.stop()
    assert fake.command_puts == 2
    assert fake.token not in hash_file.read_text()
