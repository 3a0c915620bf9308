"""The app manifest Slack is configured from, and the adapter's start/stop contract with the process wiring."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import pytest
import yaml

from adapters.slack import SlackAdapter
from bot.keys import ChannelKey
from bot.publishing import PublishError
from bot.service import Casebook
from bot.settings import Settings
from tests.slack.conftest import SlackHarness

CHANNEL = ChannelKey("slack", "T0CASEBK", "C0STUDY")
MANIFEST = Path(__file__).resolve().parents[2] / "adapters" / "slack" / "manifest.yaml"


def test_manifest_declares_the_command_scopes_interactivity_and_socket_mode() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/casebook"]
    assert commands[0]["should_escape"] is True  # `stats @member` arrives as <@U…|name>
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {"commands", "chat:write", "users:read", "im:write",
                                                              "files:write", "channels:history", "groups:history"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")


def test_the_adapter_needs_a_bot_token(core: Casebook) -> None:
    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        SlackAdapter(Settings(_env_file=None), core)  # type: ignore[call-arg]


@pytest.mark.parametrize("mode", ["http"])
async def test_cancelling_run_releases_the_port(slack: SlackHarness) -> None:
    adapter = slack.adapter
    task = slack._task
    assert adapter is not None and task is not None and adapter.bound_port is not None
    port = adapter.bound_port
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", port))  # free again: the server really stopped
    finally:
        probe.close()
    slack.adapter = slack._task = None


@pytest.mark.parametrize("mode", ["socket"])
async def test_pings_are_answered_and_close_closes_the_connection(slack: SlackHarness) -> None:
    assert len(slack.fake._sockets) == 1
    assert slack.adapter is not None and slack.adapter._socket is not None
    client = slack.adapter._socket.client
    # the client pings as soon as it connects; the pong is not an event the fake can signal, so poll briefly
    for _ in range(200):
        if client.last_ping_pong_time is not None:
            break
        await asyncio.sleep(0.01)
    assert client.last_ping_pong_time is not None
    assert await client.is_connected()
    await slack.stop()
    await slack.fake.wait_for(lambda: not slack.fake._sockets)



async def test_after_close_the_core_gets_a_passing_publish_error(slack: SlackHarness) -> None:
    message = await slack.post()
    assert slack.adapter is not None and slack.adapter._publisher is not None
    publisher = slack.adapter._publisher
    await slack.stop()
    record = await slack.core.store.get_channel(CHANNEL)
    assert record is not None
    post = (await slack.core.store.open_posts(record.id))[0]
    card = slack.core.dilemma_card(post, slack.bank.dilemmas[post.dilemma_id], "UTC", 1)
    with pytest.raises(PublishError) as raised:
        await publisher.edit(CHANNEL, message.ts, card)
    assert raised.value.lasting is False
