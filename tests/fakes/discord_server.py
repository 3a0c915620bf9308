"""A local Discord: enough of REST API v10 and the gateway for the real discord.py client, on 127.0.0.1 only.

Built from the documented payloads (discord-api-docs: Gateway, Interactions, Receiving and Responding, Message,
Channel, Application Commands) and from what discord.py 2.7 reads (see /work/shared/PLATFORM-NOTES.md).

The server is strict: every payload is checked against Discord's limits and mention rules, and any problem is
recorded in `violations` (tests assert it stays empty). Tests drive it like members would: `slash(...)`,
`click(...)`, `autocomplete(...)`, each returning an `InteractionRecord` to wait on.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import discord_limits as limits

API = "/api/v10"
EPHEMERAL = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_GUILD = 1 << 5
CREATE_PUBLIC_THREADS = 1 << 35
SEND_IN_THREADS = 1 << 38
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY | USE_APPLICATION_COMMANDS | SEND_IN_THREADS
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
BOT_PERMISSIONS = MEMBER_PERMISSIONS | CREATE_PUBLIC_THREADS
RESPONSE_DEADLINE = 3.0
ATTACHMENT_LIMIT = 8 * 1024 * 1024
BODY: web.RequestKey[Any] = web.RequestKey("body", object)

# Interaction callback types (Interactions > Receiving and Responding).
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = (
    1, 4, 5, 6, 7, 8, 9)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class FakeUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "username": self.username, "discriminator": "0", "global_name": self.global_name,
            "avatar": None, "bot": self.bot, "public_flags": 0, "flags": 0,
        }


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    times: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class InteractionRecord:
    """One interaction the fake sent, and what the bot answered."""

    id: int
    token: str
    kind: int
    payload: dict[str, Any]
    sent_at: float
    channel_id: int
    callback: dict[str, Any] | None = None
    callback_at: float | None = None
    original: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    late: bool = False  # answered after Discord's 3 s: refused as an unknown interaction
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def callback_type(self) -> int | None:
        return None if self.callback is None else self.callback["type"]

    @property
    def latency(self) -> float | None:
        return None if self.callback_at is None else self.callback_at - self.sent_at

    @property
    def message(self) -> dict[str, Any]:
        """What the member finally sees: the last follow-up, else the (edited) original response."""
        if self.followups:
            return self.followups[-1]
        if self.original is not None:
            return self.original
        raise AssertionError(f"interaction {self.id} has no visible response (callback {self.callback})")

    @property
    def ephemeral(self) -> bool:
        return bool(self.message.get("flags", 0) & EPHEMERAL)

    @property
    def choices(self) -> list[dict[str, Any]]:
        assert self.callback is not None and self.callback["type"] == AUTOCOMPLETE_RESULT, self.callback
        return list(self.callback["data"]["choices"])

    def text(self) -> str:
        """Everything readable in the visible response, for assertions."""
        message = self.message
        parts = [message.get("content") or ""]
        for embed in message.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(part for part in parts if part)

    async def wait_answered(self, timeout: float = 5.0) -> InteractionRecord:
        await asyncio.wait_for(self.answered.wait(), timeout)
        return self

    async def wait(self, timeout: float = 5.0) -> InteractionRecord:
        """Until the member can read the final response (after a deferral, the follow-up or edit)."""
        await asyncio.wait_for(self.settled.wait(), timeout)
        return self


@dataclass
class _Session:
    ws: web.WebSocketResponse
    session_id: str
    seq: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    identified: bool = False


class FakeDiscord:
    """The local Discord. `await start()`, point the client at `api_base` and `gateway_url`, `await close()`."""

    def __init__(self, token: str = "fake-token.abc.def", *, guild_name: str = "Study Group") -> None:
        self.token = token
        self._ids = itertools.count(1_300_000_000_000_000_000 + secrets.randbelow(10**12) * 1000)
        self.app_id = self.new_id()
        self.bot = FakeUser(self.app_id, "Casebook", "Casebook", bot=True)
        self.owner = FakeUser(self.new_id(), "owner")
        self.guild_id = self.new_id()
        self.guild_name = guild_name
        self.channel_id = self.new_id()
        self.channels: dict[int, dict[str, Any]] = {}
        self.forbidden_channels: set[int] = set()
        self._add_channel(self.channel_id, "ethics-daily")
        self.users: dict[str, FakeUser] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.files: dict[int, bytes] = {}
        self.threads: dict[int, dict[str, Any]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_puts = 0
        self.interactions: dict[int, InteractionRecord] = {}
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.identifies = 0
        self.resumes = 0
        self.faults: list[Fault] = []
        self.latency = 0.0  # seconds added to every REST answer, to play a slow Discord
        self._sessions: dict[str, _Session] = {}
        self._current: _Session | None = None
        self.ready = asyncio.Event()
        self.changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.on_request: Callable[[Recorded], Awaitable[None]] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._middleware], client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        routes = [
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway", self._gateway_info),
            ("GET", "/gateway/bot", self._gateway_info),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("GET", "/applications/{app}/commands", self._get_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self._get_commands),
            ("POST", "/interactions/{iid}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app}/{token}", self._followup),
            ("GET", "/webhooks/{app}/{token}/messages/{mid}", self._get_webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{mid}", self._edit_webhook_message),
            ("DELETE", "/webhooks/{app}/{token}/messages/{mid}", self._delete_webhook_message),
            ("GET", "/channels/{cid}", self._get_channel),
            ("POST", "/channels/{cid}/messages", self._create_message),
            ("GET", "/channels/{cid}/messages", self._list_messages),
            ("GET", "/channels/{cid}/messages/{mid}", self._get_message),
            ("PATCH", "/channels/{cid}/messages/{mid}", self._edit_message),
            ("POST", "/channels/{cid}/messages/{mid}/threads", self._start_thread),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            if not session.ws.closed:
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def new_id(self) -> int:
        return next(self._ids)

    def _add_channel(self, channel_id: int, name: str, *, kind: int = 0, parent_id: int | None = None) -> None:
        self.channels[channel_id] = {
            "id": str(channel_id), "type": kind, "guild_id": str(self.guild_id), "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None if parent_id is None else str(parent_id),
            "rate_limit_per_user": 0, "topic": None, "last_message_id": None, "flags": 0,
        }

    def add_channel(self, name: str) -> int:
        channel_id = self.new_id()
        self._add_channel(channel_id, name)
        return channel_id

    def user(self, name: str) -> FakeUser:
        """A member of the guild, made on first use (names may carry anything, mentions included)."""
        if name not in self.users:
            self.users[name] = FakeUser(self.new_id(), re.sub(r"\W", "", name.lower())[:32] or "member", name)
        return self.users[name]

    # -- faults ----------------------------------------------------------------------------------

    def fail(self, method: str, path: str, status: int, *, code: int = 0, times: int = 1,
             retry_after: float | None = None) -> None:
        """Answer the next `times` requests matching `path` (a regex on the path after /api/v10) with an error."""
        body: dict[str, Any] = {"message": f"{status} error", "code": code}
        headers: dict[str, str] = {}
        if status == 429:
            body = {"message": "You are being rate limited.", "retry_after": retry_after or 0.05, "global": False}
            # discord.py treats a 429 without Via as a Cloudflare ban, as real Discord 429s carry it.
            headers = {"Via": "1.1 google", "Retry-After": str(retry_after or 0.05), "X-RateLimit-Scope": "user"}
        self.faults.append(Fault(method, re.compile(path), status, body, times, headers))

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        path = request.path[len(API):]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/"):
                body = self._multipart(request.headers["Content-Type"], raw, f"{request.method} {path}")
        record = Recorded(request.method, path, dict(request.query), body)
        self.requests.append(record)
        request[BODY] = body
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.on_request is not None:
            await self.on_request(record)
        needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
        if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
            record.status = 401
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.path.search(path):
                fault.times -= 1
                record.status = fault.status
                return _json(fault.body, fault.status, fault.headers)
        response = await handler(request)
        record.status = response.status
        async with self.changed:
            self.changed.notify_all()
        return response

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait (on requests, not on a timer) until the fake's state satisfies `predicate`."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), timeout)

    def _multipart(self, content_type: str, raw: bytes, where: str) -> dict[str, Any]:
        """A message with files: `payload_json` plus `files[n]` parts (Reference > Uploading Files)."""
        parsed = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw,
                                          policy=email.policy.HTTP)
        body: dict[str, Any] = {}
        files: list[dict[str, Any]] = []
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if name == "payload_json":
                body = json.loads(data)
            elif isinstance(name, str) and name.startswith("files["):
                filename = part.get_filename() or ""
                if len(data) > ATTACHMENT_LIMIT:
                    self.violations.append(f"{where}: file {filename} has {len(data)} bytes (max {ATTACHMENT_LIMIT})")
                files.append({"filename": filename, "content": data})
        if not files:
            self.violations.append(f"{where}: a multipart body without files")
        body["_files"] = files
        return body

    # -- REST: identity and commands -------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        return _json({**self.bot.payload(), "verified": True, "mfa_enabled": False, "email": None})

    async def _application(self, request: web.Request) -> web.Response:
        return _json({
            "id": str(self.app_id), "name": "Casebook", "description": "", "icon": None, "bot_public": True,
            "bot_require_code_grant": False, "owner": self.owner.payload(), "verify_key": "0" * 64, "team": None,
            "flags": 0, "summary": "", "rpc_origins": [],
        })

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    async def _put_commands(self, request: web.Request) -> web.Response:
        if int(request.match_info["app"]) != self.app_id:
            return _json({"message": "Unknown Application", "code": 10002}, 404)
        body = request[BODY]
        if not isinstance(body, list):
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        where = request.method + " " + request.path
        problems = [p for command in body for p in limits.command_problems(command, where=where)]
        if len(body) > 100:
            problems.append(f"{where}: {len(body)} commands (max 100)")
        if problems:
            self.violations += problems
            return _json({"message": "Invalid Form Body", "code": 50035, "errors": problems}, 400)
        self.command_puts += 1
        stored = [{**command, "id": str(self.new_id()), "application_id": str(self.app_id), "version": "1",
                   "type": command.get("type", 1)} for command in body]
        if "guild" in request.match_info:
            guild_id = int(request.match_info["guild"])
            if guild_id != self.guild_id:
                return _json({"message": "Missing Access", "code": 50001}, 403)
            stored = [{**command, "guild_id": str(guild_id)} for command in stored]
            self.guild_commands[guild_id] = stored
        else:
            self.global_commands = stored
        return _json(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        if "guild" in request.match_info:
            return _json(self.guild_commands.get(int(request.match_info["guild"]), []))
        return _json(self.global_commands)

    def command(self, name: str) -> dict[str, Any]:
        for command in [*self.guild_commands.get(self.guild_id, []), *self.global_commands]:
            if command["name"] == name:
                return command
        raise AssertionError(f"/{name} was never synced; known: {self.command_names()}")

    def command_names(self) -> list[str]:
        return sorted({c["name"] for c in [*self.guild_commands.get(self.guild_id, []), *self.global_commands]})

    # -- REST: channels, messages, threads -------------------------------------------------------

    def _channel_or_error(self, request: web.Request) -> tuple[int, web.Response | None]:
        channel_id = int(request.match_info["cid"])
        if channel_id not in self.channels:
            return channel_id, _json({"message": "Unknown Channel", "code": 10003}, 404)
        if channel_id in self.forbidden_channels:
            return channel_id, _json({"message": "Missing Access", "code": 50001}, 403)
        return channel_id, None

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel_id, error = self._channel_or_error(request)
        return error or _json(self.channels[channel_id])

    def _message(self, channel_id: int, body: dict[str, Any], *, author: FakeUser, message_type: int = 0,
                 flags: int = 0, interaction: InteractionRecord | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": str(self.new_id()), "channel_id": str(channel_id), "guild_id": str(self.guild_id),
            "author": author.payload(), "content": body.get("content") or "", "timestamp": _now_iso(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [self._attachment(f) for f in body.get("_files") or []],
            "embeds": body.get("embeds") or [], "pinned": False,
            "type": message_type, "flags": flags | (body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        if interaction is not None:
            message["application_id"] = str(self.app_id)
            message["webhook_id"] = str(self.app_id)
            message["interaction_metadata"] = {
                "id": str(interaction.id), "type": interaction.kind,
                "user": interaction.payload["member"]["user"], "authorizing_integration_owners": {},
            }
        return message

    def _attachment(self, file: dict[str, Any]) -> dict[str, Any]:
        attachment_id = self.new_id()
        self.files[attachment_id] = file["content"]
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{file['filename']}"
        return {"id": str(attachment_id), "filename": file["filename"], "size": len(file["content"]), "url": url,
                "proxy_url": url, "content_type": "application/json"}

    def _check(self, body: Any, where: str) -> list[str]:
        if not isinstance(body, dict):
            return [f"{where}: body is {type(body).__name__}, not a JSON object"]
        problems = limits.message_problems(body, where=where)
        if not (body.get("content") or body.get("embeds") or body.get("components") or body.get("_files")):
            problems.append(f"{where}: empty message")
        self.violations += problems
        return problems

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id, error = self._channel_or_error(request)
        if error:
            return error
        if self._check(request[BODY], f"POST /channels/{channel_id}/messages"):
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        message = self._message(channel_id, request[BODY], author=self.bot)
        self.messages[int(message["id"])] = message
        self.channels[channel_id]["last_message_id"] = message["id"]
        return _json(message)

    async def _list_messages(self, request: web.Request) -> web.Response:
        """Channel history, newest first (`limit` 1-100, optional `before` a message id), as Discord lists it."""
        channel_id, error = self._channel_or_error(request)
        if error:
            return error
        limit = int(request.query.get("limit", "50"))
        if not 1 <= limit <= 100:
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        before = int(request.query.get("before", str(2**63)))
        found = sorted((m for m in self.messages.values()
                        if int(m["channel_id"]) == channel_id and int(m["id"]) < before),
                       key=lambda m: int(m["id"]), reverse=True)
        return _json(found[:limit])

    def _find_message(self, request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
        channel_id, error = self._channel_or_error(request)
        if error:
            return None, error
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None or int(message["channel_id"]) != channel_id:
            return None, _json({"message": "Unknown Message", "code": 10008}, 404)
        return message, None

    async def _get_message(self, request: web.Request) -> web.Response:
        message, error = self._find_message(request)
        return error or _json(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        message, error = self._find_message(request)
        if error:
            return error
        assert message is not None
        if self._check({**message, "allowed_mentions": None, **request[BODY]}, f"PATCH {request.path}"):
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        self._apply_edit(message, request[BODY])
        return _json(message)

    @staticmethod
    def _apply_edit(message: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = _now_iso()

    async def _start_thread(self, request: web.Request) -> web.Response:
        message, error = self._find_message(request)
        if error:
            return error
        assert message is not None
        body = request[BODY] or {}
        problems = limits.thread_name_problems(body.get("name"), where=f"POST {request.path}")
        if problems:
            self.violations += problems
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        thread_id = int(message["id"])
        if thread_id in self.threads:
            return _json({"message": "A thread has already been created for this message", "code": 160004}, 400)
        parent_id = int(request.match_info["cid"])
        self._add_channel(thread_id, body["name"], kind=11, parent_id=parent_id)
        thread = {
            **self.channels[thread_id], "owner_id": str(self.app_id), "message_count": 0, "member_count": 1,
            "total_message_sent": 0, "thread_metadata": {
                "archived": False, "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": _now_iso(), "locked": False},
        }
        self.channels[thread_id] = thread
        self.threads[thread_id] = thread
        return _json(thread, 201)

    def channel_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        wanted = str(channel_id or self.channel_id)
        return [m for m in self.messages.values() if m["channel_id"] == wanted]

    # -- REST: interactions ----------------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        record = self.interactions.get(int(request.match_info["iid"]))
        if record is None or record.token != request.match_info["token"]:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if record.callback is not None:
            self.violations.append(f"interaction {record.id} answered twice")
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        body = request[BODY]
        where = f"callback of interaction {record.id} (type {body.get('type')})"
        kind = body.get("type")
        data = body.get("data") or {}
        if body.get("_files"):
            data = {**data, "_files": body["_files"]}
        elapsed = time.monotonic() - record.sent_at
        if elapsed > RESPONSE_DEADLINE:
            self.violations.append(f"{where}: first response after {elapsed:.2f}s (deadline {RESPONSE_DEADLINE}s)")
            record.late = True
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE) and self._check(data, where):
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        if kind == AUTOCOMPLETE_RESULT:
            problems = limits.choices_problems(data.get("choices") or [], where=where)
            self.violations += problems
        if kind not in (PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE,
                        AUTOCOMPLETE_RESULT, MODAL):
            self.violations.append(f"{where}: unknown callback type")
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        if (kind == AUTOCOMPLETE_RESULT) != (record.kind == 4):
            self.violations.append(f"{where}: callback type {kind} does not fit interaction type {record.kind}")
        record.callback = body
        record.callback_at = time.monotonic()
        response: dict[str, Any] = {"interaction": {
            "id": str(record.id), "type": record.kind,
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
        }}
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            message = self._message(record.channel_id, data, author=self.bot, message_type=20,
                                    flags=(1 << 7) if kind == DEFERRED_CHANNEL_MESSAGE else 0, interaction=record)
            record.original = message
            if not (message["flags"] & EPHEMERAL):
                self.messages[int(message["id"])] = message
            response["interaction"]["response_message_id"] = message["id"]
            response["resource"] = {"type": kind, "message": message}
        elif kind == UPDATE_MESSAGE:
            clicked = self.messages.get(int(record.payload["message"]["id"]))
            if clicked is not None:
                self._apply_edit(clicked, data)
            response["resource"] = {"type": kind}
        else:
            response["resource"] = {"type": kind}
        record.answered.set()
        if kind not in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE):
            record.settled.set()
        return _json(response)

    def _webhook_record(self, request: web.Request) -> InteractionRecord | None:
        token = request.match_info["token"]
        if int(request.match_info["app"]) != self.app_id:
            return None
        return next((r for r in self.interactions.values() if r.token == token), None)

    async def _followup(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        if record is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if record.callback is None:
            self.violations.append(f"follow-up on interaction {record.id} before any response")
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        body = request[BODY]
        if self._check(body, f"follow-up of interaction {record.id}"):
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        message = self._message(record.channel_id, body, author=self.bot, interaction=record)
        record.followups.append(message)
        if not (message["flags"] & EPHEMERAL):
            self.messages[int(message["id"])] = message
        record.settled.set()
        return _json(message)

    def _webhook_message(self, request: web.Request) -> tuple[InteractionRecord | None, dict[str, Any] | None]:
        record = self._webhook_record(request)
        if record is None:
            return None, None
        mid = request.match_info["mid"]
        if mid == "@original":
            return record, record.original
        return record, next((m for m in record.followups if m["id"] == mid), None)

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        _, message = self._webhook_message(request)
        return _json(message) if message else _json({"message": "Unknown Message", "code": 10008}, 404)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        record, message = self._webhook_message(request)
        if record is None or message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        body = request[BODY]
        if self._check({"allowed_mentions": None, **message, **body}, f"edit of interaction {record.id} response"):
            return _json({"message": "Invalid Form Body", "code": 50035}, 400)
        self._apply_edit(message, body)
        message["flags"] = message.get("flags", 0) & ~(1 << 7)  # no longer "thinking"
        record.settled.set()
        return _json(message)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    # -- the gateway -----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            self.violations.append(f"gateway connected with {dict(request.query)}")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = _Session(ws, secrets.token_hex(16))
        await self._send(session, {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op, data = message.get("op"), message.get("d")
            if op == 1:
                await self._send(session, {"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                await self._identify(session, data)
            elif op == 6:
                await self._resume(session, data)
        if self._current is session:
            self._current = None
            self.ready.clear()
        return ws

    async def _identify(self, session: _Session, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        if data.get("intents", 0) & ((1 << 1) | (1 << 8) | (1 << 15)):
            self.violations.append(f"IDENTIFY asked for privileged intents: {data.get('intents')}")
        self.identifies += 1
        self._sessions[session.session_id] = session
        await self._dispatch_on(session, "READY", {
            "v": 10, "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(self.guild_id), "unavailable": True}], "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url, "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [], "relationships": [], "presences": [], "user_settings": {},
            "geo_ordered_rtc_regions": [], "guild_join_requests": [], "shard": [0, 1],
        })
        await self._dispatch_on(session, "GUILD_CREATE", self.guild_payload())
        session.identified = True
        self._current = session
        self.ready.set()

    async def _resume(self, session: _Session, data: dict[str, Any]) -> None:
        old = self._sessions.get(data.get("session_id", ""))
        if data.get("token") != self.token or old is None:
            await self._send(session, {"op": 9, "d": False, "s": None, "t": None})
            return
        self.resumes += 1
        session.session_id, session.seq = old.session_id, old.seq
        self._sessions[session.session_id] = session
        await self._dispatch_on(session, "RESUMED", {})
        session.identified = True
        self._current = session
        self.ready.set()

    def guild_payload(self) -> dict[str, Any]:
        channels = [c for c in self.channels.values() if c["type"] == 0]
        return {
            "id": str(self.guild_id), "name": self.guild_name, "icon": None, "owner_id": str(self.owner.id),
            "roles": [{"id": str(self.guild_id), "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS),
                       "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False,
                       "flags": 0}],
            "channels": channels, "threads": list(self.threads.values()), "members": [self._member(self.bot,
                                                                                                  BOT_PERMISSIONS)],
            "member_count": 2 + len(self.users), "large": False, "unavailable": False, "features": [],
            "emojis": [], "stickers": [], "verification_level": 0, "default_message_notifications": 1,
            "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US",
            "system_channel_id": None, "joined_at": _now_iso(), "voice_states": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [], "nsfw_level": 0,
        }

    def _member(self, user: FakeUser, permissions: int) -> dict[str, Any]:
        return {"user": user.payload(), "roles": [], "flags": 0, "joined_at": _now_iso(), "deaf": False,
                "mute": False, "nick": None, "avatar": None, "premium_since": None, "pending": False,
                "permissions": str(permissions)}

    async def _send(self, session: _Session, message: dict[str, Any]) -> None:
        async with session.lock:
            if not session.ws.closed:
                await session.ws.send_str(json.dumps(message))

    async def _dispatch_on(self, session: _Session, event: str, data: dict[str, Any]) -> None:
        async with session.lock:
            session.seq += 1
            if not session.ws.closed:
                await session.ws.send_str(json.dumps({"op": 0, "t": event, "s": session.seq, "d": data}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await asyncio.wait_for(self.ready.wait(), 10)
        assert self._current is not None
        await self._dispatch_on(self._current, event, data)

    async def reconnect(self) -> None:
        """Ask the connected client to reconnect and resume (op 7), as Discord does when moving sessions."""
        assert self._current is not None
        session = self._current
        self.ready.clear()
        await self._send(session, {"op": 7, "d": None, "s": None, "t": None})

    async def drop_connection(self) -> None:
        """Close the gateway socket abruptly; the client should resume."""
        assert self._current is not None
        session = self._current
        self.ready.clear()
        await session.ws.close(code=4000, message=b"Unknown error")

    # -- the driver: what members do -------------------------------------------------------------

    def _interaction(self, kind: int, data: dict[str, Any], user: FakeUser, permissions: int,
                     channel_id: int | None, message: dict[str, Any] | None = None) -> InteractionRecord:
        channel_id = channel_id or self.channel_id
        payload: dict[str, Any] = {
            "id": str(self.new_id()), "application_id": str(self.app_id), "type": kind, "data": data,
            "guild_id": str(self.guild_id), "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id), "channel": self.channels[channel_id],
            "member": self._member(user, permissions), "token": "itok-" + secrets.token_urlsafe(24),
            "version": 1, "app_permissions": str(BOT_PERMISSIONS), "locale": "en-US", "guild_locale": "en-US",
            "entitlements": [], "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
            "attachment_size_limit": ATTACHMENT_LIMIT,
        }
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(int(payload["id"]), payload["token"], kind, payload, time.monotonic(), channel_id)
        self.interactions[record.id] = record
        return record

    async def _send_interaction(self, record: InteractionRecord) -> InteractionRecord:
        await asyncio.wait_for(self.ready.wait(), 10)
        record.sent_at = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

    def _options(self, schema: list[dict[str, Any]], given: dict[str, Any], focused: str | None,
                 resolved: dict[str, Any]) -> list[dict[str, Any]]:
        by_name = {option["name"]: option for option in schema}
        unknown = set(given) - set(by_name)
        assert not unknown, f"unknown options {unknown}; the command has {sorted(by_name)}"
        options = []
        for name, option in by_name.items():
            if name not in given:
                assert not option.get("required") or focused is not None, f"option {name} is required"
                continue
            value = given[name]
            kind = option["type"]
            if kind == 6:
                user = value if isinstance(value, FakeUser) else self.user(str(value))
                resolved.setdefault("users", {})[str(user.id)] = user.payload()
                member = self._member(user, MEMBER_PERMISSIONS)
                del member["user"]
                resolved.setdefault("members", {})[str(user.id)] = member
                value = str(user.id)
            elif kind == 3 and name != focused:
                assert isinstance(value, str), f"{name} takes a string"
                low, high = option.get("min_length", 0), option.get("max_length", 6000)
                assert low <= len(value) <= high, f"Discord's client refuses {name} of {len(value)} characters"
            elif kind in (4, 10):
                assert isinstance(value, int | float), f"{name} takes a number"
                assert option.get("min_value", value) <= value <= option.get("max_value", value), f"{name} range"
            if option.get("choices") and name != focused:
                allowed = [choice["value"] for choice in option["choices"]]
                assert value in allowed, f"{value!r} is not one of the choices {allowed} of {name}"
            entry: dict[str, Any] = {"name": name, "type": kind, "value": value}
            if name == focused:
                entry["focused"] = True
            options.append(entry)
        return options

    def _command_data(self, path: str, given: dict[str, Any], focused: str | None) -> dict[str, Any]:
        words = path.split()
        command = self.command(words[0])
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        resolved: dict[str, Any] = {}
        node, holder = command, data
        for word in words[1:]:
            child = next((o for o in node.get("options") or [] if o["name"] == word and o["type"] in (1, 2)), None)
            assert child is not None, f"/{path}: no subcommand {word!r}"
            entry: dict[str, Any] = {"name": word, "type": child["type"], "options": []}
            holder["options"] = [entry]
            node, holder = child, entry
        assert not any(o["type"] in (1, 2) for o in node.get("options") or []), f"/{path} needs a subcommand"
        holder["options"] = self._options(node.get("options") or [], given, focused, resolved)
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(self, path: str, options: dict[str, Any] | None = None, *, user: FakeUser | str,
                    permissions: int = MEMBER_PERMISSIONS, channel_id: int | None = None) -> InteractionRecord:
        """A member runs `/path` (e.g. "schedule set") with options by name; the options are checked against the
        synced command like Discord's client would."""
        member = user if isinstance(user, FakeUser) else self.user(user)
        data = self._command_data(path, options or {}, None)
        return await self._send_interaction(self._interaction(2, data, member, permissions, channel_id))

    async def autocomplete(self, path: str, options: dict[str, Any], focused: str, *, user: FakeUser | str,
                           permissions: int = MEMBER_PERMISSIONS) -> InteractionRecord:
        member = user if isinstance(user, FakeUser) else self.user(user)
        option_schema = self._command_data(path, options, focused)
        return await self._send_interaction(self._interaction(4, option_schema, member, permissions, None))

    def find_button(self, custom_id: str) -> dict[str, Any]:
        for message in reversed(list(self.messages.values())):
            for row in message.get("components") or []:
                for component in row.get("components") or []:
                    if component.get("custom_id") == custom_id:
                        found: dict[str, Any] = message
                        return found
        raise AssertionError(f"no message has a button {custom_id!r}")

    def buttons(self, message_id: int) -> list[dict[str, Any]]:
        message = self.messages[message_id]
        return [c for row in message.get("components") or [] for c in row.get("components") or []]

    def make_click(self, custom_id: str, *, user: FakeUser | str, permissions: int = MEMBER_PERMISSIONS,
                   message: dict[str, Any] | None = None) -> InteractionRecord:
        member = user if isinstance(user, FakeUser) else self.user(user)
        message = message or self.find_button(custom_id)
        button = next(c for row in message["components"] for c in row["components"] if c.get("custom_id") == custom_id)
        if button.get("disabled"):
            raise AssertionError(f"button {custom_id!r} is disabled; Discord's client cannot click it")
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(3, data, member, permissions, int(message["channel_id"]), json.loads(
            json.dumps(message)))

    async def click(self, custom_id: str, *, user: FakeUser | str, permissions: int = MEMBER_PERMISSIONS,
                    message: dict[str, Any] | None = None) -> InteractionRecord:
        """A member clicks a button, on the newest message carrying it unless `message` is given."""
        return await self._send_interaction(self.make_click(custom_id, user=user, permissions=permissions,
                                                            message=message))

    async def send_many(self, records: list[InteractionRecord]) -> None:
        """Send prepared interactions back to back on the gateway, as a burst of members would."""
        await asyncio.wait_for(self.ready.wait(), 10)
        assert self._current is not None
        for record in records:
            record.sent_at = time.monotonic()
            await self._dispatch_on(self._current, "INTERACTION_CREATE", record.payload)

    async def send_raw(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch any payload, even a broken one, to see that the bot survives it."""
        await self.dispatch(event, data)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly application/json: discord.py parses JSON only for that Content-Type (no charset suffix).
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})
