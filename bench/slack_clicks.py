"""2,000 members clicking one post at once, through Slack's HTTP endpoint and through Socket Mode, each
against a bare Bolt app that only acks.

`python -m bench.slack_clicks` prints the rows; `slack_rows()` gives them to `python -m bench`.

Both apps are the same library (slack_bolt's AsyncApp) served the same way (aiohttp at POST /slack/events
with signed requests, or a Socket Mode connection) in this process, one after the other in the same run, so
the ratio is the adapter's own cost over Bolt's ceiling on this machine. "Slack" (the local fake of
tests/fakes/slack_server.py and the members clicking) runs in a second process, as the real one runs
elsewhere: its work (sending clicks, receiving the private confirmations) is not charged to either app.

A click's time runs from the request (or envelope) leaving "Slack" to its ack arriving back. The vote is
committed and confirmed after the ack; the last confirmation's time is reported beside the count.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import re
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from rich.console import Console
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackAdapter
from bench.table import Row, print_table
from bot.bank_loader import load_bank
from bot.service import Casebook
from bot.settings import Settings
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock
from tests.fakes.slack_server import FakeSlack, Message

CLICKS = 2000
CONNECTIONS = 256  # concurrent connections from "Slack" to the app in HTTP mode
DEADLINE_SECONDS = 3.0
WARM_UP_CLICKS = 20


class Clicks:
    """One burst: per-click ack times and the burst's wall time."""

    def __init__(self, seconds: list[float], statuses: list[int], elapsed: float) -> None:
        self.seconds = sorted(seconds)
        self.statuses = statuses
        self.elapsed = elapsed

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.elapsed

    def quantile(self, share: float) -> float:
        return self.seconds[min(len(self.seconds) - 1, int(share * len(self.seconds)))]

    @property
    def all_ok(self) -> bool:
        return all(status == 200 for status in self.statuses)


# -- the Slack side (its own process) ------------------------------------------------------------------


def _slack_side(connection: Connection, clicks: int) -> None:
    asyncio.run(_serve_slack_side(connection, clicks))


async def _serve_slack_side(connection: Connection, clicks: int) -> None:
    fake = FakeSlack()
    await fake.start()
    users = [f"U9{index:07d}" for index in range(clicks)]
    for index, user in enumerate(users):
        fake.add_user(user, f"bench{index}")
    loop = asyncio.get_running_loop()
    connection.send({"base_url": fake.base_url, "bot_token": fake.bot_token, "app_token": fake.app_token,
                     "signing_secret": fake.signing_secret})
    burst_started = 0.0
    replies_before = 0
    while True:
        request: dict[str, Any] = await loop.run_in_executor(None, connection.recv)
        op = request["op"]
        if op == "stop":
            break
        if op == "sockets":
            await fake.wait_for(_sockets_are(fake, int(request["count"])), within=30)
            connection.send(True)
        elif op == "post":
            payload = fake.slash_command("U0ADMIN", "post")
            if request["url"] is None:
                await fake.send_envelope("slash_commands", payload)
            else:
                await fake.post_signed(request["url"], payload)
            await fake.wait_for(lambda: bool(fake.channel_messages("C0STUDY")), within=30)
            connection.send(fake.channel_messages("C0STUDY")[0].blocks)
        elif op == "burst":
            posted = fake.channel_messages("C0STUDY")
            message = posted[0] if posted else _dummy_post()
            payloads = _clicks(fake, message, users)
            warm_up = _clicks(fake, message, users[:WARM_UP_CLICKS])  # new trigger ids: not repeats
            replies_before = len(fake.replies)
            await _burst(fake, request["url"], warm_up)
            burst_started = time.perf_counter()
            result = await _burst(fake, request["url"], payloads)
            connection.send((result.seconds, result.statuses, result.elapsed))
        elif op == "confirmations":
            with contextlib.suppress(TimeoutError):
                await fake.wait_for(_replies_reach(fake, replies_before + int(request["count"])), within=60)
            connection.send((len(fake.replies) - replies_before, time.perf_counter() - burst_started))
    await fake.close()


def _sockets_are(fake: FakeSlack, count: int) -> Callable[[], bool]:
    return lambda: len(fake._sockets) == count


def _replies_reach(fake: FakeSlack, count: int) -> Callable[[], bool]:
    return lambda: len(fake.replies) >= count


async def _burst(fake: FakeSlack, url: str | None, payloads: list[dict[str, Any]]) -> Clicks:
    if url is None:
        started = time.perf_counter()
        acks = await asyncio.gather(*(fake.send_envelope("interactive", p, within=30) for p in payloads))
        return Clicks([a.seconds for a in acks], [a.status for a in acks], time.perf_counter() - started)
    bodies = [urlencode({"payload": json.dumps(payload)}) for payload in payloads]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as session:
        async def click(body: str) -> tuple[int, float]:
            headers = fake.sign(body)
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                return response.status, time.perf_counter() - started

        started = time.perf_counter()
        results = await asyncio.gather(*(click(body) for body in bodies))
        elapsed = time.perf_counter() - started
    return Clicks([seconds for _, seconds in results], [status for status, _ in results], elapsed)


def _clicks(fake: FakeSlack, message: Message, users: list[str]) -> list[dict[str, Any]]:
    letters = "ABC"
    return [fake.block_action(user, message, f"casebook_vote_{letters[i % 3]}") for i, user in enumerate(users)]


def _dummy_post() -> Message:
    """A message with vote buttons for the bare app, which reads nothing from the click."""
    buttons = [{"type": "button", "action_id": f"casebook_vote_{letter}", "value": f"1:{letter}",
                "text": {"type": "plain_text", "text": letter}} for letter in "ABC"]
    return Message("C0STUDY", "1.000001", "bench", [{"type": "actions", "block_id": "b", "elements": buttons}])


class SlackSide:
    """This process's handle on the Slack process."""

    def __init__(self, clicks: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_slack_side, args=(child, clicks), daemon=True)
        self._process.start()
        self.info: dict[str, str] = {}

    async def start(self) -> None:
        self.info = await self._receive()

    async def ask(self, op: str, **arguments: Any) -> Any:
        self._connection.send({"op": op, **arguments})
        return await self._receive()

    async def _receive(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self._connection.recv)

    async def stop(self) -> None:
        self._connection.send({"op": "stop"})
        await asyncio.get_running_loop().run_in_executor(None, self._process.join, 10)


# -- the apps (this process) ----------------------------------------------------------------------------


async def _bare_burst(side: SlackSide, mode: str) -> Clicks:
    """The framework's ceiling: the same AsyncApp set-up with a listener that only acks."""
    async with aiohttp.ClientSession() as session:
        app = AsyncApp(
            client=AsyncWebClient(token=side.info["bot_token"], base_url=side.info["base_url"], session=session),
            signing_secret=side.info["signing_secret"],
        )

        async def only_ack(ack: AsyncAck) -> None:
            await ack()

        app.action(re.compile(".*"))(only_ack)
        if mode == "socket":
            handler = AsyncSocketModeHandler(app, side.info["app_token"], web_client=app.client)
            await handler.connect_async()  # type: ignore[no-untyped-call]
            await side.ask("sockets", count=1)
            clicks = Clicks(*await side.ask("burst", url=None))
            await handler.close_async()  # type: ignore[no-untyped-call]
            await side.ask("sockets", count=0)
            return clicks

        async def events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

        server = web.Application()
        server.router.add_post("/slack/events", events)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        clicks = Clicks(*await side.ask("burst", url=f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"))
        await runner.cleanup()
        return clicks


async def _mode_rows(mode: str, clicks: int) -> list[Row]:
    side = SlackSide(clicks)
    await side.start()
    try:
        bare = await _bare_burst(side, mode)
        if not bare.all_ok:
            raise RuntimeError("the bare app did not answer every click: the baseline is not valid")
        with tempfile.TemporaryDirectory() as folder:
            store = SqliteStore(Path(folder) / "bench.sqlite3")
            await store.open()
            core = Casebook(store, load_bank(), FakeClock(), rng=random.Random(3), refresh_seconds=1.0)
            settings = Settings(
                _env_file=None, slack_bot_token=side.info["bot_token"],
                slack_signing_secret=side.info["signing_secret"],
                slack_app_token=side.info["app_token"] if mode == "socket" else None,
                slack_api_base_url=side.info["base_url"], slack_mode=mode,
            )
            adapter = SlackAdapter(settings, core, http_host="127.0.0.1", http_port=0)
            serving = asyncio.create_task(adapter.run())
            await adapter.ready.wait()
            url = adapter.events_url if mode == "http" else None
            if mode == "socket":
                await side.ask("sockets", count=1)
            blocks = await side.ask("post", url=url)
            button = next(b for b in blocks if b["type"] == "actions")["elements"][0]
            post_id = int(button["value"].split(":")[0])
            ours = Clicks(*await side.ask("burst", url=url))
            confirmed, last_confirmation = await side.ask("confirmations", count=clicks + WARM_UP_CLICKS)
            confirmed -= WARM_UP_CLICKS
            counted = await store.vote_count(post_id)
            await adapter.close()
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            await core.close()
            await store.close()
    finally:
        await side.stop()

    label = "HTTP" if mode == "http" else "Socket Mode"
    voters = clicks  # the warm-up clicks came from members who click again in the burst
    lost = voters - counted
    ratio = ours.rate / bare.rate
    within = ours.quantile(1.0) < DEADLINE_SECONDS and ours.all_ok
    return [
        Row(f"Slack {label}: {clicks} clicks on one post", f"{ours.rate:,.0f} clicks/s",
            f"bare Bolt ack-only app {bare.rate:,.0f}/s (ratio {ratio:.2f})", ">= half the bare app", ratio >= 0.5),
        Row(f"Slack {label}: ack time p50 / p99 / max",
            f"{_ms(ours.quantile(0.5))} / {_ms(ours.quantile(0.99))} / {_ms(ours.quantile(1.0))} ms",
            f"bare {_ms(bare.quantile(0.5))} / {_ms(bare.quantile(0.99))} / {_ms(bare.quantile(1.0))} ms",
            "every ack < 3 s", within),
        Row(f"Slack {label}: votes lost / confirmed", f"{lost} lost, {confirmed} confirmed",
            f"{counted} counted of {voters}; last confirmation after {last_confirmation:.2f} s",
            "0 lost, count exact", lost == 0 and counted == voters and confirmed == clicks),
    ]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


async def slack_rows(clicks: int = CLICKS, modes: tuple[str, ...] = ("http", "socket")) -> list[Row]:
    rows: list[Row] = []
    for mode in modes:
        rows += await _mode_rows(mode, clicks)
    return rows


def main() -> None:
    rows = asyncio.run(slack_rows())
    print_table(rows, Console(soft_wrap=True))


if __name__ == "__main__":
    main()
