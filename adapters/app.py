"""The composition root: one place builds the settings, store, bank, clock, core and adapters."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import AsyncIterator

from rich.console import Console

from adapters.console.session import ConsolePublisher, ConsoleSession, SteppedClock, stdin_lines
from bot.clock import Clock, SystemClock
from bot.scenarios import Bank
from bot.service import Casebook
from bot.settings import Settings
from bot.store import SqliteStore

log = logging.getLogger("casebook")

NOTHING_CONFIGURED = (
    "No chat platform is configured, so Casebook starts its console study session.\n"
    "To run on Discord set DISCORD_TOKEN; for Slack set SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or "
    "SLACK_SIGNING_SECRET and SLACK_MODE=http. Put them in .env (see .env.example and the README)."
)


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.casebook_log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@contextlib.asynccontextmanager
async def open_core(settings: Settings, bank: Bank, clock: Clock, rng: random.Random | None = None
                    ) -> AsyncIterator[Casebook]:
    store = SqliteStore(settings.casebook_db_path)
    await store.open()
    core = Casebook(store, bank, clock, rng=rng)
    try:
        yield core
    finally:
        await core.close()
        await store.close()


def run_play(settings: Settings, bank: Bank, args: argparse.Namespace) -> int:
    configure_logging(settings)
    asyncio.run(_play(settings, bank, args.members, args.seed))
    return 0


async def _play(settings: Settings, bank: Bank, members: int, seed: int | None) -> None:
    console = Console(highlight=False)
    rng = random.Random(seed)
    async with open_core(settings, bank, SteppedClock(), rng) as core:
        core.add_publisher("console", ConsolePublisher(console))
        await ConsoleSession(core, console, rng, members).run(stdin_lines())


def run_configured(settings: Settings, bank: Bank) -> int:
    configure_logging(settings)
    if not settings.discord_enabled and not settings.slack_enabled:
        Console(stderr=True).print(NOTHING_CONFIGURED, markup=False)
        asyncio.run(_play(settings, bank, members=5, seed=None))
        return 0
    asyncio.run(_serve(settings, bank))
    return 0


async def _serve(settings: Settings, bank: Bank) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_core(settings, bank, SystemClock()) as core:
        adapters = _platform_adapters(settings, core)
        tasks = [asyncio.create_task(adapter.run(), name=f"casebook-{name}") for name, adapter in adapters]
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not waiter and task.exception() is not None:
                log.error("an adapter stopped", exc_info=task.exception())
        for _, adapter in adapters:
            await adapter.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        waiter.cancel()


def _platform_adapters(settings: Settings, core: Casebook) -> list[tuple[str, object]]:
    adapters: list[tuple[str, object]] = []
    if settings.discord_enabled:
        from adapters.discord import DiscordAdapter

        adapters.append(("discord", DiscordAdapter(settings, core)))
    if settings.slack_enabled:
        from adapters.slack import SlackAdapter

        adapters.append(("slack", SlackAdapter(settings, core)))
    return adapters
