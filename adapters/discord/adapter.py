"""The Discord adapter: slash commands and vote buttons in, core cards out, and the core's Publisher for Discord.

Thin by design: it turns interactions into core calls (`Casebook.handle`, `Casebook.vote`) and cards into
messages (see render.py). Every rule (who may post, what a vote is worth, when a post closes) lives in bot/.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import discord
import yarl
from discord import app_commands

from adapters.discord.commands import build_tree
from adapters.discord.render import BUTTON_TEMPLATE, VOTE_ID, ButtonSpec, Rendered, render, thread_name
from bot import commands
from bot.cards import Card, DilemmaCard, DiscussionCard, Notice, RecapCard, RevealCard, StatsCard
from bot.charts import STATS_CHART, render_stats_png
from bot.keys import ChannelKey, Member, MemberKey
from bot.publishing import PublishError
from bot.service import Casebook
from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

PLATFORM = "discord"
# Answer at once when the core is quick; past this, defer (Discord's deadline for a first answer is 3 s).
DEFER_AFTER = 1.5
# More interactions than this waiting for a first answer is a burst: defer each at once.
BURST = 8
FOLLOW_UP_PATIENCE = 10.0
SORRY = "Something went wrong on our side; nothing was changed. Please try again."
LOGIN_WAIT = 30.0
# A resumed post is looked for among this many of the channel's latest messages.
FIND_POST_LOOKBACK = 50
THREAD_EXISTS = 160004
NO_MENTIONS = discord.AllowedMentions.none()
RECEIVED = "casebook_received_at"  # stamped into an interaction's data when the gateway delivers it


class CasebookButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=BUTTON_TEMPLATE):
    """Every Casebook button. Its custom id carries what it means (a vote on post 12 for B, a practice answer...),
    so buttons on messages sent before a restart keep working: nothing about them is kept in memory."""

    def __init__(self, spec: ButtonSpec) -> None:
        super().__init__(discord.ui.Button(label=spec.label, custom_id=spec.custom_id, style=spec.style,
                                           disabled=spec.disabled))
        self.custom_id = spec.custom_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str]) -> CasebookButton:
        return cls(ButtonSpec(match.group(0), getattr(item, "label", None) or "?"))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        match = self.__discord_ui_compiled_template__.fullmatch(self.custom_id)
        if isinstance(client, CasebookClient) and match is not None:
            await client.adapter.on_button(interaction, match)


def view_of(rendered: Rendered) -> discord.ui.View | None:
    if not rendered.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for spec in rendered.buttons:
        view.add_item(CasebookButton(spec))
    return view


def guard_gateway_parsers(client: discord.Client) -> None:
    """Survive a malformed gateway event instead of ending the whole client.

    discord.py lets a KeyError in any event parser escape `Client.start()`, so one bad INTERACTION_CREATE would
    take the bot down. Its parsers live in `ConnectionState.parsers` (a dict read by the gateway at connect);
    wrapping them there logs and drops the bad event. READY stays unguarded: without it there is no session.
    """
    parsers = getattr(getattr(client, "_connection", None), "parsers", None)
    if not isinstance(parsers, dict):
        log.warning("discord.py's gateway parsers are not where expected; malformed events are not guarded")
        return
    for event, parse in list(parsers.items()):
        if event != "READY":
            parsers[event] = _guarded(event, parse)


def _guarded(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    stamp = event == "INTERACTION_CREATE"

    def guarded(data: Any) -> None:
        try:
            if stamp and isinstance(data.get("data"), dict):
                data["data"][RECEIVED] = time.monotonic()
            parse(data)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
            # The payload is not logged: an interaction's carries its token.
            log.error("dropped a malformed %s gateway event (%s: %s)", event, type(error).__name__, error)

    return guarded


def received_at(interaction: discord.Interaction[Any]) -> float:
    """When the gateway delivered the interaction (stamped by the guarded parser), else now."""
    data = interaction.data
    stamp = data.get(RECEIVED) if isinstance(data, dict) else None
    return stamp if isinstance(stamp, float) else time.monotonic()


class CasebookClient(discord.Client):
    """discord.py's client, knowing its adapter so that buttons and commands can reach the core."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(**options)
        self.adapter = adapter

    async def setup_hook(self) -> None:
        await self.adapter.setup()

    async def on_connect(self) -> None:
        # READY arrived: clicks and commands can come in. (on_ready waits for every guild, seconds later.)
        self.adapter.ready.set()


class DiscordAdapter:
    """`adapter = DiscordAdapter(settings, core)`; `await adapter.run()` serves until cancelled; `await close()`."""

    def __init__(self, settings: Settings, core: Casebook) -> None:
        if settings.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set")
        self.settings = settings
        self.core = core
        self._token = settings.discord_token
        intents = discord.Intents.none()
        intents.guilds = True  # no privileged intent: slash commands and buttons need none
        self.client = CasebookClient(
            self, intents=intents, allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=30.0, chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
        )
        guard_gateway_parsers(self.client)
        self.tree = build_tree(self.client, self)
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self.publisher = DiscordPublisher(self.client)
        self.ready = asyncio.Event()  # set once connected to the gateway; adapters/app.py waits for it
        self._unanswered = 0  # interactions still waiting for their first answer
        self._calm = asyncio.Event()
        self._calm.set()

    # -- lifecycle -------------------------------------------------------------------------------

    async def run(self) -> None:
        if self.settings.discord_api_base_url:
            discord.http.Route.BASE = self.settings.discord_api_base_url.rstrip("/")
        if self.settings.discord_gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.settings.discord_gateway_url)
        self.core.add_publisher(PLATFORM, self.publisher)
        try:
            await self.client.start(self._token.get_secret_value())
        finally:
            if not self.client.is_closed():
                await self.client.close()

    async def close(self) -> None:
        await self.client.close()

    async def setup(self) -> None:
        """After login, before the gateway: buttons of every earlier post, and the commands if they changed."""
        self.client.add_dynamic_items(CasebookButton)
        self.publisher.logged_in.set()
        await self.sync_commands()

    def commands_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    def _hash_path(self) -> Path:
        db = Path(self.settings.casebook_db_path)
        return db.with_name(db.name + ".discord-commands.sha256")

    async def sync_commands(self) -> None:
        """Sync only when the command tree (or where it goes) changed since the last successful sync: Discord
        allows 200 command creations a guild a day, and restarts should not spend them."""
        guild = discord.Object(self.settings.discord_dev_guild_id) if self.settings.discord_dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = self.commands_payload(guild)
        digest = hashlib.sha256(json.dumps(
            {"app": self.client.application_id, "guild": guild.id if guild else None, "commands": payload},
            sort_keys=True, default=str).encode()).hexdigest()
        path = self._hash_path()
        try:
            if path.read_text().strip() == digest:
                log.info("Discord commands unchanged; not syncing")
                return
        except OSError:
            pass
        try:
            await self.tree.sync(guild=guild)
        except discord.HTTPException as error:
            log.warning("syncing Discord commands failed (%s); will try again at the next start", error.status)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(digest + "\n")
        except OSError:
            log.warning("could not record the Discord command hash at %s", path)
        log.info("Discord commands synced%s", f" to guild {guild.id}" if guild else " globally")

    # -- interactions ----------------------------------------------------------------------------

    @staticmethod
    def channel_key(interaction: discord.Interaction[Any]) -> ChannelKey:
        return ChannelKey(PLATFORM, str(interaction.guild_id or 0), str(interaction.channel_id))

    @staticmethod
    def member(interaction: discord.Interaction[Any]) -> Member:
        user = interaction.user
        return Member(MemberKey(PLATFORM, str(interaction.guild_id or 0), str(user.id)), user.display_name,
                      is_admin=bool(interaction.guild_id) and interaction.permissions.manage_guild)

    async def run_command(self, interaction: discord.Interaction[Any], command: commands.Command, *,
                          public: bool = False) -> None:
        member = self.member(interaction)
        await self.answer(interaction, lambda: self.core.handle(command, self.channel_key(interaction), member),
                          public=public)

    async def on_button(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        member = self.member(interaction)
        if match["post"]:
            post_id, letter = int(match["post"]), match["letter"]
            await self.answer(interaction, lambda: self.core.vote(post_id, member, letter), public=False)
        elif match["mode"]:
            await self.run_command(interaction, commands.Answer(match["mode"], match["dilemma"],
                                                                match["study_letter"]))
        elif match["forget"]:
            await self.run_command(interaction, commands.Privacy("forget-confirm"))

    async def answer(self, interaction: discord.Interaction[Any], work: Callable[[], Awaitable[Card]], *,
                     public: bool) -> None:
        """Run the core and show its card; notices are always private.

        Calm: answer at once when the core is quick, else defer before Discord's 3 s and follow up. In a burst
        (many interactions waiting for a first answer) defer at once, and let every follow-up wait until the
        burst's first answers are out: Discord drops an interaction not answered in 3 s, a follow-up has 15 min.
        """
        self._unanswered += 1
        self._calm.clear()
        task: asyncio.Future[Card] | None = None
        deferred = False
        try:
            if self._unanswered <= BURST:
                task = asyncio.ensure_future(work())
                # In a burst an interaction may have queued here a while: the 3 s count from its arrival.
                waited = time.monotonic() - received_at(interaction)
                await asyncio.wait({task}, timeout=max(0.0, DEFER_AFTER - waited))
            if task is None or not task.done():
                deferred = True
                await interaction.response.defer(ephemeral=not public, thinking=True)
        except BaseException:
            if task is not None:
                task.cancel()
            self._answered_one()
            raise
        if deferred:
            self._answered_one()
        try:
            card = await (task if task is not None else work())
        except Exception:  # a core bug must still get the member an answer, not a spinner
            log.exception("the core failed on a Discord interaction")
            card = Notice.error(SORRY)
        ephemeral = not public or isinstance(card, Notice)
        rendered = render(card, self.channel_key(interaction))
        if isinstance(card, StatsCard) and card.topics:
            # The picture comes with the text bars, which stay as its fallback.
            rendered.files.append((STATS_CHART, await render_stats_png(card)))
            rendered.embeds[0].set_image(url=f"attachment://{STATS_CHART}")
        kwargs: dict[str, Any] = {"embeds": rendered.embeds, "allowed_mentions": NO_MENTIONS}
        view = view_of(rendered)
        if view is not None:
            kwargs["view"] = view
        if rendered.content is not None:
            kwargs["content"] = rendered.content
        if rendered.files:
            kwargs["files"] = [discord.File(io.BytesIO(data), filename=name) for name, data in rendered.files]
        if interaction.response.is_done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._calm.wait(), FOLLOW_UP_PATIENCE)
            await interaction.followup.send(ephemeral=ephemeral, **kwargs)
            return
        try:
            await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
        finally:
            self._answered_one()

    def _answered_one(self) -> None:
        self._unanswered -= 1
        if self._unanswered <= 0:
            self._unanswered = 0
            self._calm.set()

    async def _on_command_error(self, interaction: discord.Interaction[Any],
                                error: app_commands.AppCommandError) -> None:
        log.error("Discord command %s failed", interaction.command and interaction.command.qualified_name,
                  exc_info=error)
        text = SORRY
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not tell the member about the failure")


class DiscordPublisher:
    """What the core calls to publish on Discord. Message refs are message ids; thread refs are thread ids."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self.logged_in = asyncio.Event()

    async def _ready(self) -> None:
        try:
            await asyncio.wait_for(self.logged_in.wait(), LOGIN_WAIT)
        except TimeoutError as error:
            raise PublishError("not connected to Discord yet") from error

    def _channel(self, channel: ChannelKey) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(channel.channel), guild_id=int(channel.workspace) or None)

    async def post(self, channel: ChannelKey, card: DilemmaCard) -> str:
        await self._ready()
        rendered = render(card, channel)
        message = await _publishing(self._channel(channel).send(
            embeds=rendered.embeds, view=view_of(rendered) or discord.utils.MISSING, allowed_mentions=NO_MENTIONS))
        return str(message.id)

    async def find_post(self, channel: ChannelKey, post_id: int) -> str | None:
        """Our message carrying this post's vote buttons, among the channel's latest (Read Message History)."""
        await self._ready()
        prefix = VOTE_ID.format(post=post_id, letter="")

        async def scan() -> str | None:
            async for message in self._channel(channel).history(limit=FIND_POST_LOOKBACK):
                if self.client.user is None or message.author.id != self.client.user.id:
                    continue
                for row in message.components:
                    for item in getattr(row, "children", ()):
                        if str(getattr(item, "custom_id", "") or "").startswith(prefix):
                            return str(message.id)
            return None

        return await _publishing(scan())

    async def edit(self, channel: ChannelKey, message_ref: str, card: DilemmaCard | RevealCard) -> None:
        await self._ready()
        rendered = render(card, channel)
        message = self._channel(channel).get_partial_message(int(message_ref))
        # Without content, discord.py leaves allowed_mentions out of an edit: say it every time.
        await _publishing(message.edit(embeds=rendered.embeds, view=view_of(rendered), allowed_mentions=NO_MENTIONS))

    async def open_thread(self, channel: ChannelKey, message_ref: str, card: DiscussionCard) -> str:
        await self._ready()
        try:
            thread = await _publishing(self.client.http.start_thread_with_message(
                int(channel.channel), int(message_ref), name=thread_name(card), auto_archive_duration=1440))
        except PublishError as error:
            if isinstance(error.__cause__, discord.HTTPException) and error.__cause__.code == THREAD_EXISTS:
                # A thread started from a message has the message's id: it is already open, keep it.
                return message_ref
            raise
        thread_id = int(thread["id"])
        rendered = render(card, channel)
        await _publishing(self.client.get_partial_messageable(thread_id, guild_id=int(channel.workspace) or None)
                          .send(embeds=rendered.embeds, allowed_mentions=NO_MENTIONS))
        return str(thread_id)

    async def announce(self, channel: ChannelKey, card: RecapCard) -> str:
        await self._ready()
        rendered = render(card, channel)
        message = await _publishing(self._channel(channel).send(embeds=rendered.embeds, allowed_mentions=NO_MENTIONS))
        return str(message.id)


async def _publishing(call: Awaitable[T]) -> T:
    """Discord's failures as PublishError: lasting when access is gone, passing when Discord is busy."""
    try:
        return await call
    except (discord.Forbidden, discord.NotFound) as error:
        raise PublishError(f"Discord refused ({error.status}, code {error.code}): {error.text}",
                           lasting=True) from error
    except discord.RateLimited as error:
        raise PublishError("Discord rate limit", retry_after=error.retry_after) from error
    except discord.DiscordServerError as error:
        raise PublishError(f"Discord is unavailable ({error.status})") from error
    except discord.HTTPException as error:
        raise PublishError(f"Discord rejected the message ({error.status}, code {error.code}): {error.text}",
                           lasting=error.status < 500 and error.status != 429) from error
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise PublishError(f"could not reach Discord: {error.__class__.__name__}") from error
