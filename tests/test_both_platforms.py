"""One `casebook run` process serves Discord and Slack together: one core, one store, one scheduler."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.keys import ChannelKey
from bot.store import SqliteStore
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import FakeSlack

REPO = Path(__file__).resolve().parents[1]


async def _schedule_a_missed_post(db_path: Path, channels: list[ChannelKey]) -> None:
    """Both channels were due ten minutes ago: the scheduler's start-up catch-up must post in each."""
    store = SqliteStore(db_path)
    await store.open()
    now = datetime.now(UTC)
    due = now - timedelta(minutes=10)
    for key in channels:
        channel = await store.ensure_channel(key, now - timedelta(days=1))
        await store.save_channel(dataclasses.replace(
            channel, tz="UTC", post_time=f"{due:%H:%M}", reveal_minutes=600,
            schedule_updated_at=now - timedelta(days=1),
        ))
    await store.close()


async def test_one_process_serves_discord_and_slack_with_one_scheduler(tmp_path: Path) -> None:
    discord = await FakeDiscord().start()
    slack = FakeSlack()
    await slack.start()
    db_path = tmp_path / "both.sqlite3"
    await _schedule_a_missed_post(db_path, [
        ChannelKey("discord", str(discord.guild_id), str(discord.channel_id)),
        ChannelKey("slack", slack.team_id, "C0STUDY"),
    ])
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DISCORD_", "SLACK_"))}
    env.update({
        "PYTHONPATH": str(REPO), "CASEBOOK_DB_PATH": str(db_path),
        "DISCORD_TOKEN": discord.token, "DISCORD_API_BASE_URL": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret, "SLACK_API_BASE_URL": slack.base_url,
    })
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main())", "run",
        cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await asyncio.wait_for(discord.ready.wait(), 30)
        await slack.wait_for(lambda: bool(slack.channel_messages("C0STUDY")), within=30)
        for _ in range(300):
            if discord.channel_messages():
                break
            await asyncio.sleep(0.1)
        (discord_post,) = discord.channel_messages()
        (slack_post,) = slack.channel_messages("C0STUDY")
        assert discord_post["embeds"] and discord_post["components"]
        assert any(block.get("type") == "actions" for block in slack_post.blocks)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await discord.close()
        await slack.close()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert discord.token not in stderr.decode() and slack.bot_token not in stderr.decode()
    assert discord.violations == [] and slack.violations == []


async def test_run_exits_non_zero_when_a_platform_refuses_the_token(tmp_path: Path) -> None:
    discord = await FakeDiscord().start()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DISCORD_", "SLACK_"))}
    env.update({
        "PYTHONPATH": str(REPO), "CASEBOOK_DB_PATH": str(tmp_path / "bad.sqlite3"),
        "DISCORD_TOKEN": "not-the-token", "DISCORD_API_BASE_URL": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
    })
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main())", "run",
        cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await discord.close()
    assert process.returncode == 1
    assert "discord adapter stopped" in stderr.decode()
    assert "not-the-token" not in stderr.decode()
