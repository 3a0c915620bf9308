"""The local Discord and a running adapter on it, for end-to-end tests of the real discord.py stack."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.discord import DiscordAdapter
from bot.scenarios import Bank
from bot.service import Casebook
from bot.settings import Settings
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()
    assert server.violations == [], "\n".join(server.violations)


def discord_settings(fake: FakeDiscord, db_path: Path) -> Settings:
    return Settings(discord_token=fake.token, discord_api_base_url=fake.api_base,
                    discord_gateway_url=fake.gateway_url, casebook_db_path=db_path)


@dataclass
class Running:
    adapter: DiscordAdapter
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.adapter.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def start_adapter(fake: FakeDiscord, core: Casebook, db_path: Path) -> Running:
    fake.ready.clear()
    adapter = DiscordAdapter(discord_settings(fake, db_path), core)
    task = asyncio.create_task(adapter.run())
    ready = asyncio.create_task(fake.ready.wait())
    done, _ = await asyncio.wait({ready, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()
    assert ready in done, "the adapter never connected to the local Discord"
    return Running(adapter, task)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "casebook.sqlite3"


@pytest.fixture
async def running(fake: FakeDiscord, core: Casebook, db_path: Path) -> AsyncIterator[Running]:
    started = await start_adapter(fake, core, db_path)
    yield started
    await started.stop()


async def open_core(db_path: Path, bank: Bank, clock: FakeClock) -> Casebook:
    store = SqliteStore(db_path)
    await store.open()
    return Casebook(store, bank, clock, rng=random.Random(11), refresh_seconds=0.01)


async def close_core(core: Casebook) -> None:
    await core.close()
    await core.store.close()
