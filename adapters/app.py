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
from typing import Protocol

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
    return asyncio.run(_serve(settings, bank))


def daily_scheduler(settings: Settings, core: Casebook, clock: Clock) -> DailyScheduler:
    return DailyScheduler(core, clock, grace=timedelta(minutes=settings.casebook_grace_minutes),
                          scheduler=AsyncIOScheduler(timezone=UTC))


class PlatformAdapter(Protocol):
    ready: asyncio.Event

    async def run(self) -> None: ...

    async def close(self) -> None: ...


async def _serve(settings: Settings, bank: Bank) -> int:
    """Every configured platform in one process over one core, store and scheduler, until a signal, or until an
    adapter fails (then exit status 1, so a supervisor restarts the bot)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    clock = SystemClock()
    async with open_core(settings, bank, clock) as core:
        adapters = _platform_adapters(settings, core)
        tasks = {asyncio.create_task(adapter.run(), name=f"casebook-{name}"): name for name, adapter in adapters}
        scheduler = daily_scheduler(settings, core, clock)
        try:
            if await _ready_or_failed(adapters, tasks):
                await scheduler.start()
                waiter = asyncio.create_task(stop.wait())
                await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
        finally:
            await scheduler.shutdown()
            for _, adapter in adapters:
                await adapter.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    failed = [name for task, name in tasks.items() if not task.cancelled() and task.exception() is not None]
    for task, name in tasks.items():
        if name in failed:
            log.error("the %s adapter stopped", name, exc_info=task.exception())
    return 1 if failed else 0


async def _ready_or_failed(adapters: list[tuple[str, PlatformAdapter]], tasks: dict[asyncio.Task[None], str],
                           timeout: float = 60.0) -> bool:
    """Catching up on missed posts needs the platforms connected: wait until each adapter is ready, or one fails.
    A platform still connecting after the timeout does not hold the others back (its posts are retried)."""
    readiness: list[asyncio.Task[object]] = [asyncio.create_task(adapter.ready.wait()) for _, adapter in adapters]
    try:
        waiting: set[asyncio.Task[object]] = set(readiness)
        while waiting:
            done, _ = await asyncio.wait([*waiting, *tasks], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                log.warning("not every platform is ready after %.0f s; starting the schedule anyway", timeout)
                return True
            if any(task in done for task in tasks):
                return False
            waiting -= done
        return True
    finally:
        for readiness_task in readiness:
            readiness_task.cancel()


def _platform_adapters(settings: Settings, core: Casebook) -> list[tuple[str, PlatformAdapter]]:
    adapters: list[tuple[str, PlatformAdapter]] = []
    if settings.discord_enabled:
        from adapters.discord import DiscordAdapter

        adapters.append(("discord", DiscordAdapter(settings, core)))
    if settings.slack_enabled:
        from adapters.slack import SlackAdapter

        adapters.append(("slack", SlackAdapter(settings, core)))
    return adapters
