"""The Slack adapter: Bolt's AsyncApp in Socket Mode or HTTP mode, turning `/casebook` and vote clicks into core
calls and core cards into Block Kit. Thin by design: every rule lives in `bot/`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import render
from adapters.slack.publisher import SlackPublisher
from bot.cards import Card, ExportCard, Notice, StatsCard
from bot.charts import STATS_CHART, render_stats_png
from bot.commands import (
    Answer,
    Command,
    CommandError,
    Privacy,
    needs_admin,
    parse_command,
)
from bot.keys import ChannelKey, Member, MemberKey
from bot.service import Casebook
from bot.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
VOTE_ACTION = re.compile(rf"^{render.VOTE_ACTION_PREFIX}[A-Z]$")
ANSWER_ACTION = re.compile(rf"^{render.ANSWER_ACTION_PREFIX}[A-Z]$")
ADMIN_CACHE_SECONDS = 300.0
SEEN_REQUESTS = 20_000
RATE_LIMIT_RETRIES = 2
SHUTDOWN_GRACE_SECONDS = 5.0
VOTES_AT_ONCE = 64
FAILED = Notice.error("Something went wrong on our side; nothing was changed. Try again in a moment.")


class SlackAdapter:
    """`adapter = SlackAdapter(settings, core)`; `await adapter.run()` serves until cancelled; `await close()`."""

    def __init__(
        self,
        settings: Settings,
        core: Casebook,
        *,
        http_host: str = "0.0.0.0",
        http_port: int | None = None,
    ) -> None:
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        self.settings = settings
        self.core = core
        self.mode = settings.resolved_slack_mode
        self.http_host = http_host
        self.http_port = settings.slack_http_port if http_port is None else http_port
        self.bound_port: int | None = None
        self.ready = asyncio.Event()
        self.app: AsyncApp | None = None
        self.client: AsyncWebClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._stop = asyncio.Event()
        self._closed = False
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._admins: dict[tuple[str, str], tuple[float, bool]] = {}
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._publisher: SlackPublisher | None = None
        self._vote_slots = asyncio.Semaphore(VOTES_AT_ONCE)

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def events_url(self) -> str:
        if self.bound_port is None:
            raise RuntimeError("the HTTP endpoint is not listening (yet)")
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "") else self.http_host
        return f"http://{host}:{self.bound_port}{EVENTS_PATH}"

    async def run(self) -> None:
        try:
            await self._start()
            self.ready.set()
            await self._stop.wait()
        finally:
            await self._shutdown()

    async def close(self) -> None:
        self._stop.set()
        await self._shutdown()

    async def _start(self) -> None:
        assert self.settings.slack_bot_token is not None
        self._session = aiohttp.ClientSession()
        self.client = AsyncWebClient(
            token=self.settings.slack_bot_token.get_secret_value(),
            base_url=self._base_url(),
            session=self._session,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ],
        )
        secret = self.settings.slack_signing_secret
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret is not None else "",
            name="casebook",
        )
        self.app.command(render.SLASH_COMMAND)(self._on_command)
        self.app.action(VOTE_ACTION)(self._on_vote)
        self.app.action(ANSWER_ACTION)(self._on_answer)
        self.app.action(render.FORGET_ACTION)(self._on_forget)
        self._publisher = SlackPublisher(self.client)
        self.core.add_publisher(PLATFORM, self._publisher)
        if self.mode == "socket":
            assert self.settings.slack_app_token is not None
            self._socket = AsyncSocketModeHandler(
                self.app, self.settings.slack_app_token.get_secret_value(), web_client=self.client
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack adapter connected in Socket Mode")
        else:
            server = web.Application()
            server.router.add_post(EVENTS_PATH, self._on_http)
            self._runner = web.AppRunner(server, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.http_host, self.http_port)
            await site.start()
            self.bound_port = self._runner.addresses[0][1]
            log.info("Slack adapter listening for HTTP requests on port %s at %s", self.bound_port, EVENTS_PATH)

    def _base_url(self) -> str:
        base = self.settings.slack_api_base_url or AsyncWebClient.BASE_URL
        return base if base.endswith("/") else base + "/"

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._runner is not None:
            await self._runner.cleanup()
        # let acknowledged work finish (a vote being committed, a reply being sent) before the session closes
        in_flight = {task for task in self._in_flight if task is not asyncio.current_task()}
        if in_flight:
            await asyncio.wait(in_flight, timeout=SHUTDOWN_GRACE_SECONDS)
        if self._publisher is not None:
            self._publisher.stopped = True
        if self._session is not None:
            await self._session.close()

    async def _on_http(self, request: web.Request) -> web.Response:
        assert self.app is not None
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # -- listeners -------------------------------------------------------------------------------

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        with self._tracked():
            await self._command(ack, body)

    async def _on_vote(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        with self._tracked():
            await self._vote(ack, body)

    async def _on_answer(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """A practice or review answer: the private question is replaced by its private result."""
        with self._tracked():
            await ack()
            if self._repeated(body):
                return
            mode, _, rest = str(_first_action(body).get("value", "")).partition(":")
            dilemma_id, _, letter = rest.rpartition(":")
            await self._run(body, Answer(mode, dilemma_id, letter), replace=True)

    async def _on_forget(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        with self._tracked():
            await ack()
            if self._repeated(body):
                return
            await self._run(body, Privacy("forget-confirm"), replace=True)

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        if self._repeated(body):
            await ack()
            return
        try:
            command = parse_command(str(body.get("text", "")), self.core.bank.topics)
        except CommandError as error:
            message = render.notice_message(Notice.error(str(error)))
            await ack(response_type="ephemeral", **message.as_kwargs())
            return
        await ack()
        await self._run(body, command)

    async def _run(self, body: dict[str, Any], command: Command, *, replace: bool = False) -> None:
        """Run a command for the member who sent it (slash command or click) and answer them privately."""
        team_id = _team_id(body)
        channel = ChannelKey(PLATFORM, team_id, _channel_id(body))
        user_id, user_name = _user(body)
        try:
            is_admin = needs_admin(command) and await self._is_admin(team_id, user_id)
            member = Member(MemberKey(PLATFORM, team_id, user_id), user_name, is_admin)
            card: Card = await self.core.handle(command, channel, member)
            if isinstance(card, ExportCard):
                card = await self._send_export(user_id, card)
            elif isinstance(card, StatsCard) and card.topics:
                await self._send_chart(user_id, card)
        except Exception:
            log.exception("the command %s failed in %s", type(command).__name__, channel)
            card = FAILED
        await self._reply(body.get("response_url"), card, replace=replace)

    async def _vote(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if self._repeated(body):
            return
        post_id, letter = _vote_value(str(_first_action(body).get("value", "")))
        user_id, user_name = _user(body)
        member = Member(MemberKey(PLATFORM, _team_id(body), user_id), user_name)
        card: Card
        # Already acknowledged. In a burst, a bounded number of clicks is recorded and confirmed at a time: the
        # rest wait here cheaply instead of opening thousands of store calls and replies at once.
        async with self._vote_slots:
            if post_id is None:
                card = Notice.error("That button is not a Casebook vote.")
            else:
                try:
                    card = await self.core.vote(post_id, member, letter)
                except Exception:
                    log.exception("recording a vote on post %s failed", post_id)
                    card = FAILED
            await self._reply(body.get("response_url"), card)

    # -- helpers ---------------------------------------------------------------------------------

    def _repeated(self, body: dict[str, Any]) -> bool:
        """Slack resends a request it thinks went unanswered; the trigger id names the member's one action."""
        trigger = body.get("trigger_id")
        if not trigger:
            return False
        key = str(trigger)
        if key in self._seen:
            log.info("ignoring a repeated Slack request")
            return True
        self._seen[key] = None
        while len(self._seen) > SEEN_REQUESTS:
            self._seen.popitem(last=False)
        return False

    async def _is_admin(self, team_id: str, user_id: str) -> bool:
        if user_id in self.settings.casebook_slack_admins:
            return True
        cached = self._admins.get((team_id, user_id))
        now = time.monotonic()
        if cached is not None and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        assert self.client is not None
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("users.info failed (%s); treating the member as not an admin", error.response.get("error"))
            return False
        user = response.get("user") or {}
        is_admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")) and not (
            user.get("is_restricted") or user.get("is_ultra_restricted") or user.get("is_bot")
        )
        self._admins[(team_id, user_id)] = (now, is_admin)
        return is_admin

    async def _send_file(self, user_id: str, filename: str, content: bytes | str, title: str) -> bool:
        """A file goes to the member in a direct message with the bot: private, and no message limit applies.
        Slack's current upload flow (files_upload_v2: get an upload URL, upload, complete)."""
        assert self.client is not None
        try:
            opened = await self.client.conversations_open(users=user_id)
            await self.client.files_upload_v2(channel=str(opened["channel"]["id"]), content=content,
                                              filename=filename, title=title)
        except SlackApiError as error:
            log.warning("sending %s to a member failed: %s", filename, error.response.get("error"))
            return False
        return True

    async def _send_export(self, user_id: str, card: ExportCard) -> Card:
        if await self._send_file(user_id, card.filename, card.content, "Everything Casebook stores about you"):
            return Notice("I sent everything Casebook stores about you as a JSON file in our direct messages.")
        return Notice.error("I could not send your data as a file in a direct message. Ask an admin to check "
                            "that Casebook may write files and direct messages (files:write, im:write).")

    async def _send_chart(self, user_id: str, card: StatsCard) -> None:
        """The stats picture, beside the text bars that stay as its fallback."""
        png = await render_stats_png(card)
        await self._send_file(user_id, STATS_CHART, png, f"Casebook stats · {card.name}")

    async def _reply(self, response_url: Any, card: Card, *, replace: bool = False) -> None:
        """A private reply through the interaction's response_url (one per click, so no shared rate limit)."""
        try:
            message = render.private_message(card)
        except TypeError:
            # a card this adapter cannot show yet: loud in the log, never a blank reply to the member
            log.exception("the Slack adapter cannot show %s", type(card).__name__)
            message = render.private_message(FAILED)
        if not response_url:
            log.warning("no response_url to reply on; the member sees nothing")
            return
        webhook = AsyncWebhookClient(str(response_url), session=self._session)
        try:
            response = await webhook.send(
                response_type="ephemeral", replace_original=replace, text=message.text, blocks=message.blocks
            )
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("a private reply could not be sent: %s", type(error).__name__)
            return
        if response.status_code != 200:
            log.warning("a private reply was refused with HTTP %s", response.status_code)


def _team_id(body: dict[str, Any]) -> str:
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    if body.get("team_id"):
        return str(body["team_id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return ""


def _channel_id(body: dict[str, Any]) -> str:
    if body.get("channel_id"):
        return str(body["channel_id"])
    channel = body.get("channel")
    if isinstance(channel, dict) and channel.get("id"):
        return str(channel["id"])
    container = body.get("container")
    return str(container.get("channel_id", "")) if isinstance(container, dict) else ""


def _user(body: dict[str, Any]) -> tuple[str, str]:
    """The member's id and name: slash commands send user_id/user_name, interactions a `user` object."""
    if body.get("user_id"):
        return str(body["user_id"]), str(body.get("user_name") or body["user_id"])
    user = body.get("user") or {}
    user_id = str(user.get("id", ""))
    return user_id, str(user.get("name") or user.get("username") or user_id)


def _first_action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _vote_value(value: str) -> tuple[int | None, str]:
    post, _, letter = value.partition(":")
    if not post.isdigit() or len(letter) != 1:
        return None, ""
    return int(post), letter
