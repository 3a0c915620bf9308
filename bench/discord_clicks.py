"""2,000 members clicking one post at once, through the Discord adapter vs a bare discord.py app that only answers.

The local Discord (tests/fakes/discord_server.py) runs in its own process, as Discord would be elsewhere, so the
bot's process has a core to itself; the bare app and the adapter then face the same burst one after the other in
this process. Prints the rows in the benchmark table; a benchmark, not a test.

    .venv/bin/python bench/discord_clicks.py [--members 2000]

Bar (PRODUCT.md): every click answered within Discord's 3 s, no vote lost, final count exact, and a click rate at
least half the bare app's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import discord
import yarl
from aiohttp import web
from rich.console import Console

from adapters.discord import DiscordAdapter
from bench.table import Row, print_table
from bot.bank_loader import load_bank
from bot.clock import SystemClock
from bot.service import Casebook
from bot.settings import Settings
from bot.store import SqliteStore
from tests.fakes.discord_server import ADMIN_PERMISSIONS, RESPONSE_DEADLINE, FakeDiscord

# -- the local Discord's process: the fake plus a small control API for this script -------------------------


async def serve_fake() -> None:
    fake = await FakeDiscord().start()
    control = web.Application()

    async def bare_message(request: web.Request) -> web.Response:
        message = fake._message(fake.channel_id, {"embeds": [{"title": "bare"}], "components": [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": letter, "custom_id": f"bare:1:{letter}"}
                                       for letter in "ABCD"]}]}, author=fake.bot)
        fake.messages[int(message["id"])] = message
        return web.json_response({"message_id": message["id"]})

    async def reset_ready(request: web.Request) -> web.Response:
        fake.ready.clear()
        return web.json_response({})

    async def wait_ready(request: web.Request) -> web.Response:
        await asyncio.wait_for(fake.ready.wait(), 20)
        return web.json_response({})

    async def slash(request: web.Request) -> web.Response:
        body = await request.json()
        record = await (await fake.slash(body["path"], body.get("options"), user=body["user"],
                                         permissions=ADMIN_PERMISSIONS)).wait(10)
        voting = [m for m in fake.messages.values() if any(c.get("custom_id", "").startswith("casebook:vote:")
                                                           for row in m["components"] for c in row["components"])]
        return web.json_response({"text": record.text(), "message_id": voting[-1]["id"] if voting else None})

    async def burst(request: web.Request) -> web.Response:
        body = await request.json()
        message = fake.messages[int(body["message_id"])]
        buttons = [c["custom_id"] for row in message["components"] for c in row["components"]]
        members = int(body["members"])
        clicks = [fake.make_click(buttons[i % len(buttons)], user=f"{body['prefix']}-{i}", message=message)
                  for i in range(members)]
        started = time.monotonic()
        await fake.send_many(clicks)
        deadline = started + RESPONSE_DEADLINE + 2
        for click in clicks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(click.answered.wait(), max(0.01, deadline - time.monotonic()))
        for click in clicks:  # the confirmations (follow-ups after a deferral) have Discord's 15 minutes
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(click.settled.wait(), max(0.01, deadline + 30 - time.monotonic()))
        confirmed = time.monotonic()
        answered = [c for c in clicks if c.callback_at is not None]
        finished = max((c.callback_at or started) for c in answered) if answered else time.monotonic()
        latencies = sorted(c.latency or 0.0 for c in answered) or [0.0]
        return web.json_response({
            "rate": len(answered) / max(finished - started, 1e-9), "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "unanswered": members - len(answered), "late": sum(1 for c in clicks if c.late),
            "unconfirmed": sum(1 for c in clicks if not c.settled.is_set()), "confirmed_in": confirmed - started,
        })

    async def message(request: web.Request) -> web.Response:
        return web.json_response(fake.messages[int(request.match_info["mid"])])

    async def until_shown(request: web.Request) -> web.Response:
        body = await request.json()
        target = int(body["message_id"])
        with contextlib.suppress(TimeoutError):
            await fake.until(lambda: body["text"] in json.dumps(fake.messages[target]["embeds"]), 10)
        return web.json_response({"shown": body["text"] in json.dumps(fake.messages[target]["embeds"])})

    async def violations(request: web.Request) -> web.Response:
        return web.json_response(fake.violations)

    control.router.add_post("/bare-message", bare_message)
    control.router.add_post("/reset-ready", reset_ready)
    control.router.add_get("/wait-ready", wait_ready)
    control.router.add_post("/slash", slash)
    control.router.add_post("/burst", burst)
    control.router.add_get("/message/{mid}", message)
    control.router.add_post("/until-shown", until_shown)
    control.router.add_get("/violations", violations)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    print(json.dumps({"control": f"http://127.0.0.1:{port}", "api": fake.api_base, "gateway": fake.gateway_url,
                      "token": fake.token}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    await runner.cleanup()
    await fake.close()


# -- the bot's process -------------------------------------------------------------------------------------


class _BareButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"bare:(?P<n>\d+):(?P<l>\w)"):
    def __init__(self, n: int, letter: str) -> None:
        super().__init__(discord.ui.Button(label=letter, custom_id=f"bare:{n}:{letter}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Any, match: Any) -> _BareButton:
        return cls(int(match["n"]), match["l"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("ok", ephemeral=True)


class Control:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, self.base + path, json=body) as response:
            response.raise_for_status()
            return await response.json()


async def bare(control: Control, token: str, members: int) -> dict[str, Any]:
    """The framework's own ceiling: the same library, the same kind of button, an answer and nothing else."""
    client = discord.Client(intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none())

    async def setup_hook() -> None:
        client.add_dynamic_items(_BareButton)

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    await control.call("POST", "/reset-ready")
    task = asyncio.create_task(client.start(token))
    try:
        await control.call("GET", "/wait-ready")
        message_id = (await control.call("POST", "/bare-message"))["message_id"]
        result: dict[str, Any] = await control.call("POST", "/burst", {"message_id": message_id,
                                                                       "members": members, "prefix": "bare"})
        return result
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def through_adapter(control: Control, info: dict[str, str], members: int,
                          folder: Path) -> tuple[dict[str, Any], int, bool]:
    db_path = folder / "bench.sqlite3"
    store = SqliteStore(db_path)
    await store.open()
    core = Casebook(store, load_bank(), SystemClock(), refresh_seconds=1.0)
    settings = Settings(discord_token=info["token"], discord_api_base_url=info["api"],
                        discord_gateway_url=info["gateway"], casebook_db_path=db_path)
    adapter = DiscordAdapter(settings, core)
    await control.call("POST", "/reset-ready")
    task = asyncio.create_task(adapter.run())
    try:
        await control.call("GET", "/wait-ready")
        posted = await control.call("POST", "/slash", {"path": "dilemma post", "user": "bench-admin"})
        assert "Posted" in posted["text"], posted
        message_id = posted["message_id"]
        result: dict[str, Any] = await control.call("POST", "/burst", {"message_id": message_id,
                                                                       "members": members, "prefix": "member"})
        message = await control.call("GET", f"/message/{message_id}")
        post_id = int(message["components"][0]["components"][0]["custom_id"].split(":")[2])
        counted = await store.vote_count(post_id)
        shown = (await control.call("POST", "/until-shown", {"message_id": message_id,
                                                             "text": f"{members} votes"}))["shown"]
        return result, counted, shown
    finally:
        await adapter.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await core.close()
        await store.close()


async def discord_rows(members: int = 2000) -> list[Row]:
    logging.basicConfig(level=logging.ERROR)
    server = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve-fake",
                                                  stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert server.stdout is not None and server.stdin is not None
    info = json.loads(await asyncio.wait_for(server.stdout.readline(), 30))
    discord.http.Route.BASE = info["api"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(info["gateway"])
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            control = Control(session, info["control"])
            baseline = await bare(control, info["token"], members)
            with tempfile.TemporaryDirectory() as folder:
                run, counted, shown = await through_adapter(control, info, members, Path(folder))
            violations = await control.call("GET", "/violations")
    finally:
        server.stdin.close()
        await asyncio.wait_for(server.wait(), 30)
    lost = members - counted
    ratio = run["rate"] / baseline["rate"] if baseline["rate"] else 0.0
    adapter_violations = [v for v in violations if "bare" not in v]
    answered = run["unanswered"] == 0 and run["late"] == 0 and run["unconfirmed"] == 0
    return [
        Row(f"Discord: {members:,} clicks on one post", f"{run['rate']:,.0f} clicks/s",
            f"bare discord.py {baseline['rate']:,.0f}/s (p99 {baseline['p99'] * 1000:.0f} ms), ratio {ratio:.2f}",
            "≥ 0.5× bare", ratio >= 0.5),
        Row("Discord: response time p50 / p99", f"{run['p50'] * 1000:.0f} / {run['p99'] * 1000:.0f} ms",
            f"{run['unanswered']} unanswered, {run['late']} late, all confirmed in {run['confirmed_in']:.1f} s",
            "every click within 3 s", answered),
        Row("Discord: votes lost / count shown", f"{lost} lost", f"final count shown: {'yes' if shown else 'no'}; "
            f"{len(adapter_violations)} limit violations", "0 lost, count exact",
            lost == 0 and shown and not adapter_violations),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_fake:
        asyncio.run(serve_fake())
    else:
        print_table(asyncio.run(discord_rows(arguments.members)), Console(soft_wrap=True))
