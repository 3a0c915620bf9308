"""A local Slack for tests: the Web API methods Casebook uses, Socket Mode, response_url endpoints, and a
driver that sends signed slash commands and button clicks the way Slack does.

Built from Slack's documented payloads (api.slack.com: slash commands, block_actions, Socket Mode envelopes,
Web API method responses). Strict: every message is checked against Block Kit's limits and for anything that
could ping or link (`<!channel>`, `<!here>`, `<@U…>`, raw `& < >`); violations are recorded and a test asserts
there are none at teardown.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import ClientSession, WSMsgType, web

# Block Kit limits (docs.slack.dev/reference/block-kit; slack_sdk.models.blocks).
MAX_BLOCKS = 50
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ID_LENGTH = 255
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
TOTAL_TEXT = 12000
TOP_TEXT = 4000
KNOWN_BLOCKS = {"section", "header", "divider", "context", "actions", "image", "rich_text", "input"}
# Entities Slack expects for & < > in text; anything else starting with & or any < > is raw.
_RAW_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
_SPECIAL = re.compile(r"<[!@#]")
_QUOTE = re.compile(r"(?m)^> ")

BOT_METHODS = {"auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral", "users.info",
               "conversations.info", "conversations.open", "conversations.history", "files.getUploadURLExternal",
               "files.completeUploadExternal"}


@dataclass
class Failure:
    """An injected failure for one channel: `error` is ratelimited, not_in_channel, channel_not_found or 500."""

    error: str
    times: int | None = None  # None: until cleared
    retry_after: int = 0


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    edits: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Reply:
    """A message sent to a response_url (the private replies of slash commands and clicks)."""

    response_id: str
    user_id: str
    channel_id: str
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def all_text(self) -> str:
        return self.text + "\n" + "\n".join(_texts(self.payload.get("blocks", [])))


@dataclass
class Ack:
    status: int
    body: str
    seconds: float

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body.startswith("{") else {}


class FakeSlack:
    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-fake-app-token",
        signing_secret: str = "fake-signing-secret",
        team_id: str = "T0CASEBK",
        team_domain: str = "casebook-test",
        bot_user_id: str = "U0CASEBOT",
        app_id: str = "A0CASEBK",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.app_id = app_id
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], Message] = {}  # (channel, ts)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.replies: list[Reply] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.failures: dict[str, Failure] = {}
        self.socket_connections = 0
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self._response_targets: dict[str, tuple[str, str]] = {}
        self._response_uses: dict[str, int] = {}
        self.files: dict[str, dict[str, Any]] = {}  # file id -> filename, length, content, channel, title
        self._ts = itertools.count(1)
        self._trigger = itertools.count(1)
        self._pending_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.port = 0
        self.add_user("U0ADMIN", "ada", is_admin=True)
        self.add_user("U0OWNER", "olu", is_owner=True)
        self.add_user("U0GUEST", "gus", is_restricted=True)
        self.add_channel("C0STUDY", "ethics-study")

    # -- set-up ----------------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, **flags: bool) -> dict[str, Any]:
        """A user object as users.info returns it (flags at the top level of `user`)."""
        user = {
            "id": user_id, "team_id": self.team_id, "name": name, "deleted": False, "real_name": name.title(),
            "tz": "America/Chicago", "profile": {"display_name": name, "real_name": name.title()},
            "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
            "is_ultra_restricted": False, "is_bot": False, "is_app_user": False, "updated": 1700000000,
        }
        user.update(flags)
        self.users[user_id] = user
        return user

    def add_channel(self, channel_id: str, name: str) -> None:
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_channel": True, "is_member": True,
                                     "is_archived": False}

    def fail(self, channel: str, error: str, *, times: int | None = None, retry_after: int = 0) -> None:
        self.failures[channel] = Failure(error, times, retry_after)

    def heal(self, channel: str) -> None:
        self.failures.pop(channel, None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        server = web.Application()
        server.router.add_post("/api/{method}", self._api)
        server.router.add_get("/api/{method}", self._api)
        server.router.add_post("/response/{response_id}", self._response_url)
        server.router.add_post("/upload/{file_id}", self._upload)
        server.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._client = ClientSession()

    async def close(self) -> None:
        for future in self._pending_acks.values():
            future.cancel()
        for socket in list(self._sockets):
            await socket.close()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- waiting ---------------------------------------------------------------------------------

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    # -- reading what happened -------------------------------------------------------------------

    def channel_messages(self, channel: str) -> list[Message]:
        return [m for (c, _), m in self.messages.items() if c == channel and m.thread_ts is None]

    def thread_replies(self, channel: str, thread_ts: str) -> list[Message]:
        return [m for (c, _), m in self.messages.items() if c == channel and m.thread_ts == thread_ts]

    def replies_to(self, user_id: str) -> list[Reply]:
        return [reply for reply in self.replies if reply.user_id == user_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    # -- the Web API -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(parse_qsl(raw.decode()))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.pop("token", "")
        args.pop("token", None)
        self.calls.append((method, args))
        try:
            if method == "apps.connections.open":
                if token != self.app_token:
                    return _fail("invalid_auth")
                return _ok({"url": f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}&app_id={self.app_id}"})
            if method not in BOT_METHODS:
                self.violations.append(f"{method}: a Web API method the fake does not know")
                return _fail("unknown_method")
            if token != self.bot_token:
                return _fail("invalid_auth")
            failed = self._injected(args.get("channel"))
            if failed is not None:
                return failed
            handler = getattr(self, "_" + method.replace(".", "_"))
            response: web.Response = await handler(args)
            return response
        finally:
            await self._notify()

    def _injected(self, channel: Any) -> web.Response | None:
        failure = self.failures.get(str(channel)) if channel else None
        if failure is None:
            return None
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                self.failures.pop(str(channel), None)
        if failure.error == "ratelimited":
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(failure.retry_after)})
        if failure.error == "500":
            return web.Response(status=500, text="<html>Internal Server Error</html>", content_type="text/html")
        return _fail(failure.error)

    async def _auth_test(self, args: dict[str, Any]) -> web.Response:
        return _ok({"url": f"https://{self.team_domain}.slack.com/", "team": "Casebook Test", "user": "casebook",
                    "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": "B0CASEBOT",
                    "is_enterprise_install": False})

    async def _chat_postMessage(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel", ""))
        if channel not in self.channels:
            return _fail("channel_not_found")
        if not self._valid_message("chat.postMessage", args):
            return _fail("invalid_blocks")
        thread_ts = args.get("thread_ts")
        if thread_ts is not None and (channel, str(thread_ts)) not in self.messages:
            return _fail("thread_not_found")
        ts = self._next_ts()
        message = Message(channel, ts, str(args.get("text", "")), list(_blocks(args)),
                          str(thread_ts) if thread_ts else None)
        self.messages[(channel, ts)] = message
        return _ok({"channel": channel, "ts": ts, "message": self._message_json(message)})

    async def _chat_update(self, args: dict[str, Any]) -> web.Response:
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        message = self.messages.get((channel, ts))
        if message is None:
            return _fail("message_not_found" if channel in self.channels else "channel_not_found")
        if not self._valid_message("chat.update", args):
            return _fail("invalid_blocks")
        message.history.append({"text": message.text, "blocks": message.blocks})
        message.text = str(args.get("text", ""))
        message.blocks = list(_blocks(args))
        message.edits += 1
        return _ok({"channel": channel, "ts": ts, "text": message.text, "message": self._message_json(message)})

    async def _chat_postEphemeral(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel", ""))
        if channel not in self.channels:
            return _fail("channel_not_found")
        if str(args.get("user")) not in self.users:
            return _fail("user_not_in_channel")
        if not self._valid_message("chat.postEphemeral", args):
            return _fail("invalid_blocks")
        self.ephemerals.append(args)
        return _ok({"message_ts": self._next_ts()})

    async def _users_info(self, args: dict[str, Any]) -> web.Response:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return _fail("user_not_found")
        return _ok({"user": user})

    async def _conversations_info(self, args: dict[str, Any]) -> web.Response:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None:
            return _fail("channel_not_found")
        return _ok({"channel": channel})

    async def _conversations_history(self, args: dict[str, Any]) -> web.Response:
        """The channel's top-level messages, newest first, at most `limit` (1-999, Slack's default 100)."""
        channel = str(args.get("channel"))
        if channel not in self.channels:
            return _fail("channel_not_found")
        limit = int(args.get("limit", 100))
        if not 1 <= limit <= 999:
            return _fail("invalid_limit")
        found = sorted(self.channel_messages(channel), key=lambda message: float(message.ts), reverse=True)
        return _ok({"messages": [self._message_json(message) for message in found[:limit]], "has_more": False})

    async def _conversations_open(self, args: dict[str, Any]) -> web.Response:
        users = str(args.get("users", "")).split(",")
        if len(users) != 1 or users[0] not in self.users:
            return _fail("user_not_found")
        return _ok({"channel": {"id": "D" + users[0][1:], "is_im": True, "user": users[0]}})

    async def _files_getUploadURLExternal(self, args: dict[str, Any]) -> web.Response:
        filename, length = args.get("filename"), str(args.get("length", ""))
        if not filename or not length.isdigit():
            return _fail("invalid_arguments")
        file_id = f"F{len(self.files) + 1:08d}"
        self.files[file_id] = {"filename": filename, "length": int(length), "content": None, "channel": None}
        return _ok({"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id})

    async def _upload(self, request: web.Request) -> web.Response:
        record = self.files.get(request.match_info["file_id"])
        if record is None:
            return web.Response(status=404, text="unknown upload")
        data = await request.read()
        if len(data) != record["length"]:
            self.violations.append(f"upload: {len(data)} bytes sent, {record['length']} announced")
        record["content"] = data  # bytes: a JSON export or a PNG chart
        return web.Response(text=f"OK - {len(data)}")

    async def _files_completeUploadExternal(self, args: dict[str, Any]) -> web.Response:
        listed = json.loads(str(args.get("files", "[]")))
        channel = args.get("channel_id")
        shared = []
        for item in listed:
            record = self.files.get(item.get("id"))
            if record is None or record["content"] is None:
                return _fail("file_not_found")
            record.update(channel=channel, title=item.get("title"))
            shared.append({"id": item["id"], "name": record["filename"], "title": item.get("title")})
        if isinstance(args.get("initial_comment"), str):
            self._check_text("files.completeUploadExternal initial_comment", args["initial_comment"])
        return _ok({"files": shared})

    def _next_ts(self) -> str:
        return f"1772460000.{next(self._ts):06d}"

    def _message_json(self, message: Message) -> dict[str, Any]:
        found: dict[str, Any] = {"type": "message", "user": self.bot_user_id, "bot_id": "B0CASEBOT",
                                 "ts": message.ts, "text": message.text, "blocks": message.blocks}
        if message.thread_ts:
            found["thread_ts"] = message.thread_ts
        return found

    # -- response_url ----------------------------------------------------------------------------

    def response_url(self, user_id: str, channel_id: str) -> str:
        response_id = uuid.uuid4().hex
        self._response_targets[response_id] = (user_id, channel_id)
        return f"http://127.0.0.1:{self.port}/response/{response_id}"

    async def _response_url(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        target = self._response_targets.get(response_id)
        try:
            if target is None:
                return web.Response(status=404, text="no_such_response_url")
            payload = await request.json()
            self._valid_message("response_url", payload)
            uses = self._response_uses.get(response_id, 0) + 1
            self._response_uses[response_id] = uses
            if uses > 5:  # Slack accepts five messages per response_url within 30 minutes
                self.violations.append("response_url: used more than 5 times")
            self.replies.append(Reply(response_id, target[0], target[1], payload))
            return web.Response(text="ok")
        finally:
            await self._notify()

    # -- Socket Mode -----------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)  # answers the client's pings
        await socket.prepare(request)
        self._sockets.append(socket)
        self.socket_connections += 1
        await socket.send_json({"type": "hello", "num_connections": len(self._sockets),
                                "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                                "connection_info": {"app_id": self.app_id}})
        await self._notify()
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(frame.data)
                envelope_id = ack.get("envelope_id")
                if ack.get("payload"):
                    self._valid_message("socket ack", ack["payload"])
                future = self._pending_acks.pop(envelope_id, None)
                if future is not None and not future.done():
                    future.set_result(ack)
                elif envelope_id is not None and future is None:
                    self.socket_acks.setdefault(envelope_id, ack)
        finally:
            self._sockets.remove(socket)
            await self._notify()
        return socket

    async def send_envelope(self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None,
                            envelope_id: str | None = None, within: float = 5.0) -> Ack:
        """Send one envelope on the newest connection and wait for its ack."""
        await self.wait_for(lambda: bool(self._sockets), within)
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": True}
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = future
        started = time.perf_counter()
        await self._sockets[-1].send_json(envelope)
        ack = await asyncio.wait_for(future, within)
        self.socket_acks[envelope_id] = ack
        return Ack(200, json.dumps(ack.get("payload") or {}), time.perf_counter() - started)

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice that the connection will close; the client opens a new one."""
        await self._sockets[-1].send_json({"type": "disconnect", "reason": reason,
                                           "debug_info": {"host": "fake-slack"}})

    # -- payloads a member's actions produce -----------------------------------------------------

    def slash_command(self, user_id: str, text: str, channel_id: str = "C0STUDY") -> dict[str, Any]:
        """The fields Slack sends for a slash command (form-encoded over HTTP, a dict in Socket Mode)."""
        user = self.users[user_id]
        channel = self.channels.get(channel_id, {"name": "unknown"})
        return {
            "token": "legacy-verification-token", "team_id": self.team_id, "team_domain": self.team_domain,
            "channel_id": channel_id, "channel_name": channel["name"], "user_id": user_id,
            "user_name": user["name"], "command": "/casebook", "text": text, "api_app_id": self.app_id,
            "is_enterprise_install": "false", "response_url": self.response_url(user_id, channel_id),
            "trigger_id": self._next_trigger(),
        }

    def ephemeral(self, reply: Reply) -> Message:
        """The private message a response_url reply showed, as something a member can click on."""
        return Message(reply.channel_id, f"eph.{reply.response_id[:8]}", reply.text,
                       list(reply.payload.get("blocks", [])))

    def block_action(self, user_id: str, message: Message, action_id: str) -> dict[str, Any]:
        """A block_actions payload for a click on one button of a message (an ephemeral one carries no
        `message`, as on Slack)."""
        user = self.users[user_id]
        button, block_id = _find_button(message.blocks, action_id)
        if button is None:
            raise AssertionError(f"the message has no button {action_id}")
        is_ephemeral = message.ts.startswith("eph.")
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user["name"], "name": user["name"], "team_id": self.team_id},
            "api_app_id": self.app_id, "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                          "is_ephemeral": is_ephemeral},
            "trigger_id": self._next_trigger(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None, "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": self.channels[message.channel]["name"]},
            "state": {"values": {}},
            "response_url": self.response_url(user_id, message.channel),
            "actions": [{
                "action_id": action_id, "block_id": block_id, "text": button["text"],
                "value": button.get("value"), "type": "button", "action_ts": f"{time.time():.6f}",
            }],
        }
        if not is_ephemeral:
            payload["message"] = self._message_json(message)
        return payload

    def _next_trigger(self) -> str:
        return f"{next(self._trigger)}.{self.team_id}.{uuid.uuid4().hex[:16]}"

    # -- signed HTTP requests --------------------------------------------------------------------

    def sign(self, body: str, timestamp: int | None = None, secret: str | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        base = f"v0:{stamp}:{body}".encode()
        digest = hmac.new((secret or self.signing_secret).encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
                "Content-Type": "application/x-www-form-urlencoded"}

    async def post_signed(self, url: str, form: dict[str, Any], *, timestamp: int | None = None,
                          secret: str | None = None, retry_num: int | None = None,
                          signature: str | None = None) -> Ack:
        assert self._client is not None
        body = urlencode(form)
        headers = self.sign(body, timestamp, secret)
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        started = time.perf_counter()
        async with self._client.post(url, data=body.encode(), headers=headers) as response:
            text = await response.text()
            ack = Ack(response.status, text, time.perf_counter() - started)
        if ack.status == 200 and ack.json():
            self._valid_message("HTTP ack", ack.json())
        return ack

    # -- strictness ------------------------------------------------------------------------------

    def _valid_message(self, where: str, payload: dict[str, Any]) -> bool:
        before = len(self.violations)
        text = payload.get("text")
        blocks = _blocks(payload)
        if text is None and not blocks:
            self.violations.append(f"{where}: neither text nor blocks")
        if payload.get("link_names") in (True, "true", 1, "1"):
            self.violations.append(f"{where}: link_names turns @names into pings")
        if isinstance(text, str):
            if len(text) > TOP_TEXT:
                self.violations.append(f"{where}: text of {len(text)} characters (over {TOP_TEXT})")
            self._check_text(f"{where} text", text)
        if len(blocks) > MAX_BLOCKS:
            self.violations.append(f"{where}: {len(blocks)} blocks (over {MAX_BLOCKS})")
        for index, block in enumerate(blocks):
            self._check_block(f"{where} block {index}", block)
        total = sum(len(t) for t in _texts(blocks)) + (len(text) if isinstance(text, str) else 0)
        if total > TOTAL_TEXT:
            self.violations.append(f"{where}: {total} characters in all (Slack refuses around 13,000)")
        return len(self.violations) == before

    def _check_block(self, where: str, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind not in KNOWN_BLOCKS:
            self.violations.append(f"{where}: unknown block type {kind!r}")
        if len(str(block.get("block_id", ""))) > ID_LENGTH:
            self.violations.append(f"{where}: block_id over {ID_LENGTH}")
        if kind == "header":
            self._check_object(where, block.get("text"), HEADER_TEXT, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                self.violations.append(f"{where}: a section needs text or fields")
            if "text" in block:
                self._check_object(where, block["text"], SECTION_TEXT)
            fields = block.get("fields", [])
            if len(fields) > SECTION_FIELDS:
                self.violations.append(f"{where}: {len(fields)} fields (over {SECTION_FIELDS})")
            for item in fields:
                self._check_object(where, item, FIELD_TEXT)
        elif kind == "context":
            elements = block.get("elements", [])
            if not elements or len(elements) > CONTEXT_ELEMENTS:
                self.violations.append(f"{where}: {len(elements)} context elements (1 to {CONTEXT_ELEMENTS})")
            for item in elements:
                if item.get("type") in ("mrkdwn", "plain_text"):
                    self._check_object(where, item, SECTION_TEXT)
        elif kind == "actions":
            elements = block.get("elements", [])
            if not elements or len(elements) > ACTIONS_ELEMENTS:
                self.violations.append(f"{where}: {len(elements)} actions elements (1 to {ACTIONS_ELEMENTS})")
            action_ids = [e.get("action_id") for e in elements]
            if len(set(action_ids)) != len(action_ids):
                self.violations.append(f"{where}: repeated action_id in one block")
            for element in elements:
                self._check_button(where, element)

    def _check_button(self, where: str, button: dict[str, Any]) -> None:
        if button.get("type") != "button":
            return
        self._check_object(where, button.get("text"), BUTTON_TEXT, plain_only=True)
        if len(str(button.get("value", ""))) > BUTTON_VALUE:
            self.violations.append(f"{where}: button value over {BUTTON_VALUE}")
        action_id = str(button.get("action_id", ""))
        if not action_id or len(action_id) > ID_LENGTH:
            self.violations.append(f"{where}: action_id must be 1 to {ID_LENGTH} characters")

    def _check_object(self, where: str, item: Any, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(item, dict) or item.get("type") not in ("plain_text", "mrkdwn"):
            self.violations.append(f"{where}: not a text object: {item!r:.80}")
            return
        if plain_only and item["type"] != "plain_text":
            self.violations.append(f"{where}: must be plain_text")
        text = item.get("text")
        if not isinstance(text, str) or not text:
            self.violations.append(f"{where}: empty text")
            return
        if len(text) > limit:
            self.violations.append(f"{where}: {len(text)} characters (over {limit})")
        self._check_text(where, text)

    def _check_text(self, where: str, text: str) -> None:
        special = _SPECIAL.search(text)
        if special:
            self.violations.append(f"{where}: a special mention or link {special.group()!r} in {text[:80]!r}")
        # `>` opening a line is mrkdwn's block quote, a control use; any other < or > is raw
        if "<" in text or ">" in _QUOTE.sub("", text):
            self.violations.append(f"{where}: raw < or > in {text[:80]!r}")
        if _RAW_AMPERSAND.search(text):
            self.violations.append(f"{where}: raw & in {text[:80]!r}")


def _ok(data: dict[str, Any]) -> web.Response:
    return web.json_response({"ok": True, **data})


def _fail(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})


def _blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = payload.get("blocks") or []
    if isinstance(blocks, str):  # form-encoded calls send blocks as a JSON string
        blocks = json.loads(blocks)
    return list(blocks)


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        for key, item in value.items():
            if not (key == "text" and isinstance(item, str)):
                found += _texts(item)
        return found
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def _find_button(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any] | None, str]:
    for block in blocks:
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                if element.get("action_id") == action_id:
                    return element, str(block.get("block_id", ""))
    return None, ""


def message_text(message: Message) -> str:
    """Every piece of text a message shows, for assertions."""
    return message.text + "\n" + "\n".join(_texts(message.blocks))
