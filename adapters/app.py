"""The composition root: one place builds the settings, store, bank, clock, core and adapters."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import tzlocal
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from rich.console import Console

from adapters.console.render import render
from adapters.console.session import CHANNEL, YOU, ConsolePublisher, ConsoleSession, SteppedClock, stdin_lines
from bot.clock import Clock, SystemClock
from bot.commands import ScheduleSet
from bot.scenarios import Bank
from bot.schedule import ScheduleError, ScheduleRequest, parse_schedule
from bot.scheduler import DailyScheduler
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
    if args.schedule:
        try:
            words = [args.schedule, args.reveal or "12h", args.tz or tzlocal.get_localzone_name() or "UTC"]
            request = parse_schedule(words, bank.topics)
        except ScheduleError as error:
            Console(stderr=True).print(f"--schedule: {error}", markup=False)
            return 2
        asyncio.run(_play_on_schedule(settings, bank, args.members, args.seed, request))
        return 0
    asyncio.run(_play(settings, bank, args.members, args.seed))
    return 0


async def _play(settings: Settings, bank: Bank, members: int, seed: int | None) -> None:
    console = Console(highlight=False)
    rng = random.Random(seed)
    async with open_core(settings, bank, SteppedClock(), rng) as core:
        core.add_publisher("console", ConsolePublisher(console))
        await ConsoleSession(core, console, rng, members).run(stdin_lines())


async def _play_on_schedule(settings: Settings, bank: Bank, members: int, seed: int | None,
                            request: ScheduleRequest) -> None:
    """The console on a real clock: the scheduler posts and reveals; you vote in between."""
    console = Console(highlight=False)
    rng = random.Random(seed)
    clock = SystemClock()
    async with open_core(settings, bank, clock, rng) as core:
        session = ConsoleSession(core, console, rng, members)
        core.add_publisher("console", ConsolePublisher(console, on_post=session.simulate_votes))
        await core.handle(ScheduleSet(request), CHANNEL, YOU)
        scheduler = daily_scheduler(settings, core, clock)
        await scheduler.start()
        schedule = await core.schedule_show(CHANNEL)
        console.print(render(schedule))
        try:
            await session.run(stdin_lines(), post_first=False)
        finally:
            await scheduler.shutdown()


def run_configured(settings: Settings, bank: Bank) -> int:
    configure_logging(settings)
    if not settings.discord_enabled and not settings.slack_enabled:
        Console(stderr=True).print(NOTHING_CONFIGURED, markup=False)
        asyncio.run(_play(settings, bank, members=5, seed=None))
        return 0
    asyncio.run(_serve(settings, bank))
    return 0


def daily_scheduler(settings: Settings, core: Casebook, clock: Clock) -> DailyScheduler:
    return DailyScheduler(core, clock, grace=timedelta(minutes=settings.casebook_grace_minutes),
                          scheduler=AsyncIOScheduler(timezone=UTC))


async def _serve(settings: Settings, bank: Bank) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    clock = SystemClock()
    async with open_core(settings, bank, clock) as core:
        adapters = _platform_adapters(settings, core)
        tasks = [asyncio.create_task(adapter.run(), name=f"casebook-{name}") for name, adapter in adapters]
        await _wait_until_ready(adapters)
        scheduler = daily_scheduler(settings, core, clock)
        await scheduler.start()
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not waiter and task.exception() is not None:
                log.error("an adapter stopped", exc_info=task.exception())
        await scheduler.shutdown()
        for _, adapter in adapters:
            await adapter.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        waiter.cancel()


async def _wait_until_ready(adapters: list[tuple[str, object]], timeout: float = 60.0) -> None:
    """Catching up on missed posts needs the platforms connected; an adapter that says when it is ready is waited
    for, within reason (the scheduler retries a post that finds its platform not connected)."""
    for name, adapter in adapters:
        ready = getattr(adapter, "ready", None)
        if isinstance(ready, asyncio.Event):
            try:
                await asyncio.wait_for(ready.wait(), timeout)
            except TimeoutError:
                log.warning("%s is not ready after %.0f s; starting the schedule anyway", name, timeout)


def _platform_adapters(settings: Settings, core: Casebook) -> list[tuple[str, object]]:
    adapters: list[tuple[str, object]] = []
    if settings.discord_enabled:
        from adapters.discord import DiscordAdapter

        adapters.append(("discord", DiscordAdapter(settings, core)))
    if settings.slack_enabled:
        from adapters.slack import SlackAdapter

        adapters.append(("slack", SlackAdapter(settings, core)))
    return adapters
