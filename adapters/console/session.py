"""`casebook play`: the daily loop in a terminal, one local member and a few simulated ones."""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.text import Text

from adapters.console.render import render
from bot import commands
from bot.cards import (
    DilemmaCard,
    DiscussionCard,
    ExportCard,
    Notice,
    NoticeKind,
    Period,
    RecapCard,
    RevealCard,
    StudyCard,
)
from bot.keys import ChannelKey, Member, MemberKey
from bot.service import Casebook

CHANNEL = ChannelKey("console", "local", "study-group")
YOU = Member(MemberKey("console", "local", "you"), "you", is_admin=True)
SIMULATED_NAMES = ("Amara", "Bao", "Carmen", "Dmitri", "Esi", "Farah", "Gus", "Hana", "Ilan", "Jo")
PROMPT = ("Vote with a letter, or type reveal, next, practice [topic], review, leaderboard [week|month|all], "
          "stats, topics, help, quit.")


class SteppedClock:
    """Real time, except that each round of the console game is the next day."""

    def __init__(self) -> None:
        self.days = 0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days)


class ConsolePublisher:
    def __init__(self, console: Console, on_post: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.console = console
        self.on_post = on_post

    async def post(self, channel: ChannelKey, card: DilemmaCard) -> str:
        self.console.print(render(card))
        if self.on_post is not None:
            asyncio.get_running_loop().call_soon(asyncio.ensure_future, self.on_post(card.post_id))
        return f"console:{card.post_id}"

    async def find_post(self, channel: ChannelKey, post_id: int) -> str | None:
        return None  # a terminal keeps nothing to look back through

    async def edit(self, channel: ChannelKey, message_ref: str, card: DilemmaCard | RevealCard) -> None:
        if isinstance(card, RevealCard):
            self.console.print(render(card))
        else:
            self.console.print(Text(f"[{card.vote_count} vote(s) so far]", style="dim"))

    async def open_thread(self, channel: ChannelKey, message_ref: str, card: DiscussionCard) -> str:
        self.console.print(render(card))
        return f"{message_ref}:thread"

    async def announce(self, channel: ChannelKey, card: RecapCard) -> str:
        self.console.print(render(card))
        return "console:recap"


async def stdin_lines() -> AsyncIterator[str]:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line.strip()


class ConsoleSession:
    def __init__(self, core: Casebook, console: Console, rng: random.Random, members: int) -> None:
        self.core = core
        self.console = console
        self.rng = rng
        self.studying: StudyCard | None = None
        self.simulated = [
            Member(MemberKey("console", "local", f"sim-{i}"), SIMULATED_NAMES[i % len(SIMULATED_NAMES)])
            for i in range(members)
        ]

    async def open_post_id(self) -> int | None:
        channel = await self.core.store.get_channel(CHANNEL)
        posts = await self.core.store.open_posts(channel.id) if channel else []
        return posts[-1].id if posts else None

    async def post_next(self) -> int | None:
        result = await self.core.handle(commands.Post(), CHANNEL, YOU)
        post_id = await self.open_post_id()
        if post_id is None:
            self.console.print(render(result))
            return None
        await self.simulate_votes(post_id)
        self.console.print(PROMPT, style="dim", markup=False)
        return post_id

    async def simulate_votes(self, post_id: int) -> None:
        """Simulated members answer like a study group: about half find the best answer."""
        post = await self.core.store.get_post(post_id)
        assert post is not None
        letters = self.core.bank.dilemmas[post.dilemma_id].letters
        for member in self.simulated:
            wrong = [letter for letter in letters if letter != post.best_letter]
            choice = post.best_letter if self.rng.random() < 0.55 else self.rng.choice(wrong)
            await self.core.vote(post_id, member, choice)

    async def run(self, lines: AsyncIterator[str], post_first: bool = True) -> None:
        self.console.print(Text("Casebook · the daily ethics dilemma, in your terminal.", style="bold"))
        if post_first:
            await self.post_next()
        async for line in lines:
            if not line:
                continue
            word = line.split()[0].lower()
            if word in ("quit", "exit"):
                break
            if len(line) == 1 and line.isalpha() and self.studying is not None:
                await self.answer_study(line)
            elif len(line) == 1 and line.isalpha():
                await self.vote(line)
            elif word == "reveal" and len(line.split()) == 1:
                await self.reveal()
            elif word == "next":
                await self.next_day()
            else:
                await self.command(line)
        self.console.print("Goodbye. Your answers are saved for next time.", style="dim")

    async def vote(self, letter: str) -> None:
        post_id = await self.open_post_id()
        if post_id is None:
            self.console.print("There is no open dilemma: type next for a new one.", style="red")
            return
        self.console.print(render(await self.core.vote(post_id, YOU, letter)))

    async def reveal(self) -> None:
        """Reveal today's dilemma and show the week's board."""
        result = await self.core.handle(commands.Reveal(), CHANNEL, YOU)
        if isinstance(result, Notice) and result.kind is NoticeKind.ERROR:
            self.console.print(render(result))
            return
        self.console.print(render(await self.core.leaderboard(CHANNEL, Period.WEEK)))
        self.console.print("Type next for the next day's dilemma.", style="dim")

    async def next_day(self) -> None:
        if await self.open_post_id() is not None:
            await self.reveal()
        clock = self.core.clock
        if isinstance(clock, SteppedClock):
            clock.days += 1
        self.console.print(Text("— the next day —", style="dim"))
        await self.post_next()

    async def answer_study(self, letter: str) -> None:
        assert self.studying is not None
        answer = commands.Answer(self.studying.mode.value, self.studying.dilemma_id, letter)
        result = await self.core.handle(answer, CHANNEL, YOU)
        if not isinstance(result, Notice):
            self.studying = None
        self.console.print(render(result))

    async def command(self, line: str) -> None:
        try:
            command = commands.parse_command(line, self.core.bank.topics)
        except commands.CommandError as error:
            self.console.print(str(error), style="red", markup=False)
            return
        result = await self.core.handle(command, CHANNEL, YOU)
        if isinstance(result, StudyCard):
            self.studying = result
        if isinstance(result, ExportCard):
            await asyncio.to_thread(Path(result.filename).write_text, result.content, encoding="utf-8")
        self.console.print(render(result))
