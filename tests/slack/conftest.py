"""The real Bolt app against the local Slack, in Socket Mode and in HTTP mode."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.scenarios import Bank
from bot.service import Casebook
from bot.settings import Settings
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock
from tests.fakes.slack_server import Ack, FakeSlack, Message

MODES = ("socket", "http")


class SlackHarness:
    """One running SlackAdapter on a core, driven the way Slack drives it in the chosen mode."""

    def __init__(self, fake: FakeSlack, mode: str, core: Casebook, db_path: Path, bank: Bank,
                 clock: FakeClock, **settings: Any) -> None:
        self.fake = fake
        self.mode = mode
        self.core = core
        self.db_path = db_path
        self.bank = bank
        self.clock = clock
        self.extra_settings = settings
        self.adapter: SlackAdapter | None = None
        self._task: asyncio.Task[None] | None = None
        self._owned: list[tuple[Casebook, SqliteStore]] = []

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": self.fake.bot_token,
            "slack_signing_secret": self.fake.signing_secret,
            "slack_api_base_url": self.fake.base_url,
            "slack_mode": self.mode,
        }
        if self.mode == "socket":
            values["slack_app_token"] = self.fake.app_token
        values.update(self.extra_settings)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    async def start(self) -> SlackAdapter:
        adapter = SlackAdapter(self.settings(), self.core, http_host="127.0.0.1", http_port=0)
        task = asyncio.create_task(adapter.run())
        ready = asyncio.create_task(adapter.ready.wait())
        done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task.done():
                task.result()
            raise AssertionError("the Slack adapter did not become ready")
        if self.mode == "socket":
            await self.fake.wait_for(lambda: bool(self.fake._sockets))
        self.adapter, self._task = adapter, task
        return adapter

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.adapter = self._task = None

    async def restart(self) -> None:
        """A new process: a new store on the same database file, a new core, a new Bolt app."""
        await self.stop()
        await self.core.close()
        await self.core.store.close()
        store = SqliteStore(self.db_path)
        await store.open()
        self.core = Casebook(store, self.bank, self.clock, rng=random.Random(11), refresh_seconds=0.01)
        self._owned.append((self.core, store))
        await self.start()

    async def close(self) -> None:
        await self.stop()
        for core, store in self._owned:
            await core.close()
            await store.close()

    # -- what members do -------------------------------------------------------------------------

    async def send_command(self, payload: dict[str, Any], *, retry_num: int | None = None) -> Ack:
        if self.mode == "http":
            assert self.adapter is not None
            return await self.fake.post_signed(self.adapter.events_url, payload, retry_num=retry_num)
        return await self.fake.send_envelope("slash_commands", payload, retry_attempt=retry_num)

    async def send_action(self, payload: dict[str, Any], *, retry_num: int | None = None) -> Ack:
        if self.mode == "http":
            assert self.adapter is not None
            return await self.fake.post_signed(self.adapter.events_url, {"payload": json.dumps(payload)},
                                               retry_num=retry_num)
        return await self.fake.send_envelope("interactive", payload, retry_attempt=retry_num)

    async def command(self, user_id: str, text: str, *, channel: str = "C0STUDY") -> Ack:
        ack = await self.send_command(self.fake.slash_command(user_id, text, channel))
        assert ack.status == 200, ack
        return ack

    async def command_reply(self, user_id: str, text: str, *, channel: str = "C0STUDY") -> str:
        """Run a command and return the private reply's text (an immediate ack text or a response_url reply)."""
        before = len(self.fake.replies_to(user_id))
        ack = await self.command(user_id, text, channel=channel)
        if ack.json().get("text"):
            return str(ack.json()["text"]) + "\n" + json.dumps(ack.json().get("blocks", []))
        await self.fake.wait_for(lambda: len(self.fake.replies_to(user_id)) > before)
        return self.fake.replies_to(user_id)[before].all_text

    async def click(self, user_id: str, message: Message, letter: str) -> Ack:
        ack = await self.send_action(self.fake.block_action(user_id, message, f"casebook_vote_{letter}"))
        assert ack.status == 200, ack
        return ack

    async def vote(self, user_id: str, message: Message, letter: str) -> str:
        """Click and wait for the private confirmation; return its text."""
        before = len(self.fake.replies_to(user_id))
        await self.click(user_id, message, letter)
        await self.fake.wait_for(lambda: len(self.fake.replies_to(user_id)) > before)
        return self.fake.replies_to(user_id)[before].all_text

    async def post(self, user_id: str = "U0ADMIN", target: str = "", channel: str = "C0STUDY") -> Message:
        before = len(self.fake.channel_messages(channel))
        reply = await self.command_reply(user_id, f"post {target}".strip(), channel=channel)
        assert "Posted" in reply, reply
        await self.fake.wait_for(lambda: len(self.fake.channel_messages(channel)) > before)
        return self.fake.channel_messages(channel)[-1]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    for index in range(1, 6):
        fake.add_user(f"U0MEMBER{index}", f"member{index}")
    yield fake
    await fake.close()
    assert fake.violations == [], "\n".join(fake.violations[:20])


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def slack(fake_slack: FakeSlack, mode: str, core: Casebook, bank: Bank, clock: FakeClock,
                tmp_path: Path) -> AsyncIterator[SlackHarness]:
    harness = SlackHarness(fake_slack, mode, core, tmp_path / "casebook.sqlite3", bank, clock)
    await harness.start()
    yield harness
    await harness.close()
