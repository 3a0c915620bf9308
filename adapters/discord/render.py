"""Core cards as Discord messages: embeds, content and vote buttons, always inside Discord's documented limits.

Text from content packs and members is escaped (markdown and mentions) before it is shown; long text is split
between words across fields and embeds, and anything that must still be cut is marked with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import discord

from bot.cards import (
    Card,
    DilemmaCard,
    DiscussionCard,
    ExportCard,
    ForgetPrompt,
    HelpCard,
    LeaderboardCard,
    Notice,
    NoticeKind,
    PostedCard,
    RecapCard,
    RevealCard,
    ScheduleCard,
    StatsCard,
    StudyCard,
    StudyMode,
    StudyResultCard,
    TopicsCard,
    VoteConfirmation,
)
from bot.keys import ChannelKey
from bot.text import bar, chunk_words, percent, shorten

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_MAX = 10
TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
VOTE_ID = "casebook:vote:{post}:{letter}"
STUDY_ID = "casebook:{mode}:{dilemma}:{letter}"  # practice|review; 18 + an 80-character slug + 2 <= 100
FORGET_ID = "casebook:forget"
# Every Casebook button: a vote on a post, a private practice/review answer, or the confirmation to be forgotten.
BUTTON_TEMPLATE = (r"casebook:(?:vote:(?P<post>\d{1,19}):(?P<letter>[A-E])"
                   r"|(?P<mode>practice|review):(?P<dilemma>[a-z0-9-]{1,80}):(?P<study_letter>[A-E])"
                   r"|(?P<forget>forget))")
COLOUR_OPEN = discord.Colour.blurple()
COLOUR_REVEAL = discord.Colour.green()
COLOUR_INFO = discord.Colour.dark_teal()
COLOUR_ERROR = discord.Colour.red()
BEST = "✅"
TRAP = "⚠️"


def esc(text: str) -> str:
    """Text from packs or members, safe to show: no markdown surprises, no mention that could ping."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def when(moment: datetime, style: str = "t") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


@dataclass
class ButtonSpec:
    custom_id: str
    label: str
    disabled: bool = False
    style: discord.ButtonStyle = discord.ButtonStyle.primary


@dataclass
class Rendered:
    """A message to send: content, embeds and (vote) buttons."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[ButtonSpec] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, content)

    def payload(self) -> dict[str, Any]:
        """The JSON Discord would receive (for checks without a client)."""
        body: dict[str, Any] = {"content": self.content, "embeds": [embed.to_dict() for embed in self.embeds]}
        rows = [self.buttons[i:i + 5] for i in range(0, len(self.buttons), 5)]
        body["components"] = [
            {"type": 1, "components": [{"type": 2, "style": b.style.value, "label": b.label,
                                        "custom_id": b.custom_id, "disabled": b.disabled} for b in row]}
            for row in rows
        ]
        body["allowed_mentions"] = discord.AllowedMentions.none().to_dict()
        return body


class EmbedPacker:
    """Fills embeds with a description and fields, opening a new embed when one is full, within every limit.

    Blocks are escaped text; values longer than a field are split between words over continuation fields.
    """

    def __init__(self, colour: discord.Colour, budget: int = TOTAL_MAX) -> None:
        self.colour = colour
        self.budget = budget
        self.embeds: list[discord.Embed] = []
        self.used = 0

    def _room(self, wanted: int) -> bool:
        return self.used + wanted <= self.budget

    def new(self, title: str | None = None, description: str | None = None) -> discord.Embed:
        if len(self.embeds) >= EMBEDS_MAX:
            raise OverflowError("too many embeds")
        title = shorten(title, TITLE_MAX) if title else None
        parts = chunk_words(description, DESCRIPTION_MAX) if description else []
        embed = discord.Embed(title=title, description=parts[0] if parts else None, colour=self.colour)
        self.used += len(title or "") + len(parts[0] if parts else "")
        self.embeds.append(embed)
        for extra in parts[1:]:
            self.add_field("…", extra)
        return embed

    def add_field(self, name: str, value: str, *, inline: bool = False) -> None:
        name = shorten(name, FIELD_NAME_MAX) or "…"
        pieces = chunk_words(value, FIELD_VALUE_MAX) if value.strip() else ["–"]
        for number, piece in enumerate(pieces):
            label = name if number == 0 else shorten(f"{name} (continued)", FIELD_NAME_MAX)
            if not self.embeds or len(self.embeds[-1].fields) >= FIELDS_MAX:
                self.new()
            if not self._room(len(label) + len(piece)):
                raise OverflowError("over the 6,000 characters of a message's embeds")
            self.embeds[-1].add_field(name=label, value=piece, inline=inline)
            self.used += len(label) + len(piece)

    def footer(self, text: str) -> None:
        text = shorten(text, FOOTER_MAX)
        if self.embeds and self._room(len(text)):
            self.embeds[-1].set_footer(text=text)
            self.used += len(text)


def render(card: Card, channel: ChannelKey | None = None) -> Rendered:
    """Any core card as a Discord message. An unknown card type is a developer's error and raises TypeError."""
    match card:
        case DilemmaCard():
            return render_dilemma(card)
        case RevealCard():
            return render_reveal(card)
        case DiscussionCard():
            return render_discussion(card)
        case VoteConfirmation():
            return render_vote(card)
        case LeaderboardCard():
            return render_leaderboard(card)
        case StatsCard():
            return render_stats(card)
        case TopicsCard():
            return render_topics(card)
        case HelpCard():
            return render_help(card)
        case ScheduleCard():
            return render_schedule(card)
        case RecapCard():
            return render_recap(card, channel)
        case Notice():
            return render_notice(card)
        case PostedCard():
            return render_posted(card)
        case StudyCard():
            return render_study(card)
        case StudyResultCard():
            return render_study_result(card)
        case ExportCard():
            return render_export(card)
        case ForgetPrompt():
            return render_forget(card)
    raise TypeError(f"the Discord adapter cannot render {type(card).__name__}")


def difficulty_dots(level: int) -> str:
    return "●" * level + "○" * max(0, 3 - level)


def vote_buttons(post_id: int, letters: Iterable[str], *, disabled: bool = False,
                 labels: dict[str, str] | None = None) -> list[ButtonSpec]:
    return [
        ButtonSpec(VOTE_ID.format(post=post_id, letter=letter), shorten((labels or {}).get(letter, letter), 80),
                   disabled, discord.ButtonStyle.secondary if disabled else discord.ButtonStyle.primary)
        for letter in letters
    ]


def _dilemma_blocks(card: DilemmaCard, situation: str) -> EmbedPacker:
    packer = EmbedPacker(COLOUR_OPEN)
    packer.new(esc(card.title), situation)
    packer.add_field("Question", f"**{esc(card.question)}**")
    for option in card.options:
        packer.add_field(option.letter, esc(option.text))
    packer.add_field("Topic", esc(card.topic), inline=True)
    packer.add_field("Difficulty", difficulty_dots(card.difficulty), inline=True)
    packer.add_field("Closes", f"{when(card.closes_at)} ({when(card.closes_at, 'R')})", inline=True)
    votes = "1 vote" if card.vote_count == 1 else f"{card.vote_count} votes"
    packer.add_field("Votes", f"{votes} so far; the split stays secret until the reveal", inline=True)
    packer.footer(f"Vote with the buttons; you can change your vote until it closes · {card.dilemma_id}")
    return packer


def render_dilemma(card: DilemmaCard) -> Rendered:
    situation = esc(card.situation)
    # Every real dilemma fits whole; only the schema's extremes (220 very long words) need the situation cut.
    for limit in (None, 3000, 2000, 1000):
        try:
            packer = _dilemma_blocks(card, situation if limit is None else shorten(situation, limit))
        except OverflowError:
            continue
        return Rendered(embeds=packer.embeds, buttons=vote_buttons(card.post_id, [o.letter for o in card.options]))
    raise OverflowError(f"the post of {card.dilemma_id} does not fit in a Discord message")


def _reveal_blocks(card: RevealCard, situation: str, reasoning_limit: int | None) -> EmbedPacker:
    packer = EmbedPacker(COLOUR_REVEAL)
    packer.new(esc(f"Revealed: {card.title}"), situation)
    packer.add_field("Question", esc(card.question))
    total = card.vote_count
    for option in card.options:
        share = option.share(total)
        marks = f" {BEST} best answer" if option.best else (f" {TRAP} the common trap" if option.trap else "")
        votes = "1 vote" if option.votes == 1 else f"{option.votes} votes"
        name = f"{option.letter} {bar(share)} {percent(share)} · {votes}{marks}"
        reasoning = esc(option.reasoning)
        if reasoning_limit is not None:
            reasoning = shorten(reasoning, reasoning_limit)
        if option.trap:  # the common trap's reasoning stands out as a quote
            reasoning = f"> {TRAP} **Why it tempts, and why it falls short:** {reasoning}"
        packer.add_field(name, f"**{esc(option.text)}**\n{reasoning}")
    packer.add_field("Takeaway", f"**{esc(card.takeaway)}**")
    if card.references:
        lines = "\n".join(f"• {esc(r.label)}: {esc(r.title)} ({esc(r.code_title)})" for r in card.references)
        packer.add_field("Code sections", lines)
    voted = "1 vote" if total == 1 else f"{total} votes"
    packer.footer(f"Best answer: {card.best.letter} · {voted} · discussion in the thread · {card.dilemma_id}")
    return packer


def render_reveal(card: RevealCard) -> Rendered:
    situation = esc(card.situation)
    # Real dilemmas fit easily; the schema's extremes may not fit 6,000 characters, so the situation (already
    # read while voting) gives way first, then the reasoning, each cut between words with a visible marker.
    attempts: list[tuple[int | None, int | None]] = [(None, None), (1500, None), (600, None), (600, 500),
                                                     (300, 350), (200, 250)]
    for situation_limit, reasoning_limit in attempts:
        text = situation if situation_limit is None else shorten(situation, situation_limit)
        try:
            packer = _reveal_blocks(card, text, reasoning_limit)
        except OverflowError:
            continue
        labels = {o.letter: f"{o.letter} · {o.votes}" + (f" {BEST}" if o.best else "") for o in card.options}
        buttons = vote_buttons(card.post_id, [o.letter for o in card.options], disabled=True, labels=labels)
        return Rendered(embeds=packer.embeds, buttons=buttons)
    raise OverflowError(f"the reveal of {card.dilemma_id} does not fit in a Discord message")


def render_discussion(card: DiscussionCard) -> Rendered:
    embed = discord.Embed(title="Talk it through", description=shorten(esc(card.prompt), DESCRIPTION_MAX),
                          colour=COLOUR_INFO)
    embed.set_footer(text=shorten(f"Discussion of: {esc(card.title)}", FOOTER_MAX))
    return Rendered(embeds=[embed])


def thread_name(card: DiscussionCard) -> str:
    # Thread names are plain text (no markdown) but a mention would still look like one.
    return shorten(discord.utils.escape_mentions(f"Discuss: {card.title}"), THREAD_NAME_MAX)


def render_vote(card: VoteConfirmation) -> Rendered:
    changed = f" (changed from {card.changed_from})" if card.changed_from else ""
    text = (f"You chose **{card.letter}**{changed}: {esc(card.option_text)}\n"
            f"You can change it until {when(card.closes_at)} ({when(card.closes_at, 'R')}); "
            "your ballot stays secret until the reveal.")
    if card.reviews_due:
        text += f"\nYou have {card.reviews_due} dilemma(s) to review: `/dilemma review`."
    return Rendered(content=shorten(text, CONTENT_MAX))


def render_leaderboard(card: LeaderboardCard) -> Rendered:
    lines = []
    for line in card.lines:
        name = esc(line.name) if line.name is not None else "*a member who keeps their name private*"
        points = "1 point" if line.points == 1 else f"{line.points} points"
        lines.append(f"`{line.rank:>2}.` **{name}** · {points} · {line.correct}/{line.answered} best answers")
    packer = EmbedPacker(COLOUR_INFO)
    body = "\n".join(lines) if lines else "Nobody has scored yet. Vote on the next dilemma to get on the board."
    packer.new(esc(f"Leaderboard · {card.period_label}"), shorten(body, DESCRIPTION_MAX))
    packer.footer("Periods: week, month, all · /privacy hide keeps your name off the board")
    return Rendered(embeds=packer.embeds)


def render_stats(card: StatsCard) -> Rendered:
    packer = EmbedPacker(COLOUR_INFO)
    accuracy = percent(card.correct / card.answered if card.answered else None)
    packer.new(esc(f"Stats · {card.name}"))
    packer.add_field("Points", str(card.points), inline=True)
    packer.add_field("Best answers", f"{card.correct}/{card.answered} ({accuracy})", inline=True)
    packer.add_field("Streak", f"{card.current_streak} now · best {card.best_streak}", inline=True)
    if card.topics:
        lines = [
            f"**{esc(t.topic)}**\n`{bar(t.member_accuracy or 0.0)}` you {t.member_correct}/{t.member_answered} "
            f"({percent(t.member_accuracy)}) · group {percent(t.group_accuracy)}"
            for t in card.topics
        ]
        packer.add_field("By topic, against the group", "\n".join(lines))
    if card.practise_next:
        packer.footer(f"Worth practising next: {card.practise_next}")
    return Rendered(embeds=packer.embeds)


def render_topics(card: TopicsCard) -> Rendered:
    packer = EmbedPacker(COLOUR_INFO)
    total = sum(count for _, _, count in card.rows)
    packer.new("Topics", f"{total} dilemmas in {len(card.rows)} topics.")
    lines = [f"**{esc(title)}** (`{slug}`): {count}" for slug, title, count in card.rows]
    if lines:
        packer.add_field("Topic (id): dilemmas", "\n".join(lines))
    packer.footer("An admin can post one now: /dilemma post topic:<id>")
    return Rendered(embeds=packer.embeds)


# The core lists its actions in the text form; on Discord they are these slash commands. An action without a
# Discord command is left out rather than advertised.
HELP_COMMANDS = {
    "post": "/dilemma post [scenario] [topic]",
    "reveal": "/dilemma reveal",
    "practice": "/dilemma practice [topic]",
    "review": "/dilemma review",
    "leaderboard": "/leaderboard [period]",
    "stats": "/stats [member]",
    "topics": "/topics",
    "schedule set": "/schedule set post_time reveal timezone [days] [topics]",
    "schedule show": "/schedule show",
    "schedule pause|resume": "/schedule pause · /schedule resume",
    "schedule recap": "/schedule recap enabled",
    "schedule scoring": "/schedule scoring [best] [participation] [streak] [cap]",
    "schedule admins": "/schedule admins action member",
    "privacy": "/privacy hide · show · export · forget",
    "help": "/help",
}


def _help_command(words: str) -> str | None:
    for prefix, command in HELP_COMMANDS.items():
        if words == prefix or words.startswith(prefix + " "):
            return command
    return None


def render_help(card: HelpCard) -> Rendered:
    lines = []
    for words, what, admin_only in card.actions:
        command = _help_command(words)
        if command is None:
            continue
        lines.append(f"`{command}`: {esc(what)}" + (" *(admin)*" if admin_only else ""))
    packer = EmbedPacker(COLOUR_INFO)
    packer.new("Casebook", "A daily ethics dilemma: vote in secret with the buttons, then see the reasoning behind "
                           "every option and talk it through in the thread.")
    packer.add_field("Commands", "\n".join(lines))
    packer.footer("Admin commands need the Manage Server permission.")
    return Rendered(embeds=packer.embeds)


def render_schedule(card: ScheduleCard) -> Rendered:
    packer = EmbedPacker(COLOUR_INFO)
    if card.post_time is None:
        packer.new("Schedule", "No schedule is set here.")
        return Rendered(embeds=packer.embeds)
    packer.new("Schedule" + (" (paused)" if card.paused else ""))
    packer.add_field("Posts at", f"{card.post_time} ({esc(card.tz)})", inline=True)
    packer.add_field("Reveals", esc(card.reveal) or "–", inline=True)
    packer.add_field("Days", ", ".join(card.days) or "–", inline=True)
    packer.add_field("Topics", ", ".join(esc(t) for t in card.topics) if card.topics else "every topic")
    packer.add_field("Difficulty", f"{card.difficulty} only" if card.difficulty else "rotating through the week")
    if card.paused:
        reason = f"paused ({esc(card.paused_reason)})" if card.paused_reason else "paused"
        packer.add_field("Next post", f"{reason}: /schedule resume starts it again")
    elif card.next_post_at is not None:
        packer.add_field("Next post", f"{when(card.next_post_at, 'F')} ({when(card.next_post_at, 'R')})")
    return Rendered(embeds=packer.embeds)


def render_recap(card: RecapCard, channel: ChannelKey | None = None) -> Rendered:
    packer = EmbedPacker(COLOUR_INFO)
    accuracy = percent(card.correct / card.answered if card.answered else None)
    packer.new(esc(f"Week recap · {card.week_label}"),
               f"The group answered {card.answered} times and chose the best answer {card.correct} times "
               f"({accuracy}).")
    if card.top:
        lines = [
            f"`{line.rank}.` **{esc(line.name) if line.name is not None else 'a private member'}** · "
            f"{line.points} points"
            for line in card.top
        ]
        packer.add_field("Top five", "\n".join(lines))
    if card.most_split_title:
        split = f"**{esc(card.most_split_title)}**"
        if card.most_split_ref and channel is not None:
            split += f" (https://discord.com/channels/{channel.workspace}/{channel.channel}/{card.most_split_ref})"
        packer.add_field("What split the group most", split)
    return Rendered(embeds=packer.embeds)


def render_notice(card: Notice) -> Rendered:
    prefix = f"{TRAP} " if card.kind is NoticeKind.ERROR else ""
    return Rendered(content=shorten(prefix + discord.utils.escape_mentions(card.text), CONTENT_MAX))


def render_posted(card: PostedCard) -> Rendered:
    return Rendered(content=shorten(
        f"Posted **{esc(card.title)}**. Voting closes {when(card.closes_at, 'f')} ({when(card.closes_at, 'R')}).",
        CONTENT_MAX))


def _study_blocks(card: StudyCard, situation: str) -> EmbedPacker:
    if card.mode is StudyMode.REVIEW:
        heading = f"Review ({card.due_count} due): {card.title}"
    else:
        heading = f"Practice: {card.title}"
    packer = EmbedPacker(COLOUR_OPEN)
    packer.new(esc(heading), situation)
    packer.add_field("Question", f"**{esc(card.question)}**")
    for option in card.options:
        packer.add_field(option.letter, esc(option.text))
    packer.add_field("Topic", esc(card.topic), inline=True)
    packer.add_field("Difficulty", difficulty_dots(card.difficulty), inline=True)
    packer.footer("Only you can see this; your answer never changes the leaderboard.")
    return packer


def render_study(card: StudyCard) -> Rendered:
    situation = esc(card.situation)
    buttons = [ButtonSpec(STUDY_ID.format(mode=card.mode.value, dilemma=card.dilemma_id, letter=o.letter), o.letter)
               for o in card.options]
    for limit in (None, 3000, 1500):  # as for the daily post: only the schema's extremes need a cut
        try:
            packer = _study_blocks(card, situation if limit is None else shorten(situation, limit))
        except OverflowError:
            continue
        return Rendered(embeds=packer.embeds, buttons=buttons)
    raise OverflowError(f"the {card.mode.value} question {card.dilemma_id} does not fit in a Discord message")


def render_study_result(card: StudyResultCard) -> Rendered:
    for reasoning_limit in (None, 500, 300):
        try:
            packer = EmbedPacker(COLOUR_REVEAL if card.correct else COLOUR_ERROR)
            verdict = (f"{BEST} {card.chosen} is the best answer" if card.correct else
                       f"You chose {card.chosen}; the best answer is {card.best.letter}")
            packer.new(esc(f"{card.title}"), verdict)
            for option in card.options:
                marks = " · your answer" if option.letter == card.chosen else ""
                marks += f" · {BEST} best answer" if option.best else ""
                reasoning = esc(option.reasoning)
                if reasoning_limit is not None:
                    reasoning = shorten(reasoning, reasoning_limit)
                packer.add_field(f"{option.letter}{marks}", f"**{esc(option.text)}**\n{reasoning}")
            packer.add_field("Takeaway", f"**{esc(card.takeaway)}**")
            if card.references:
                packer.add_field("Code sections", "\n".join(
                    f"• {esc(r.label)}: {esc(r.title)} ({esc(r.code_title)})" for r in card.references))
            if card.next_review_at is not None:
                due = f" · {card.due_remaining} more due now" if card.mode is StudyMode.REVIEW else ""
                packer.add_field("Next review", f"{when(card.next_review_at, 'D')}{due}")
        except OverflowError:
            continue
        packer.footer("Only you can see this; practice and review never change the leaderboard.")
        return Rendered(embeds=packer.embeds)
    raise OverflowError(f"the answer to {card.dilemma_id} does not fit in a Discord message")


def render_export(card: ExportCard) -> Rendered:
    return Rendered(content="Everything Casebook stores about you, as JSON. Only you can see this.",
                    files=[(card.filename, card.content.encode())])


def render_forget(card: ForgetPrompt) -> Rendered:
    return Rendered(content=shorten(f"{TRAP} {discord.utils.escape_mentions(card.text)}", CONTENT_MAX),
                    buttons=[ButtonSpec(FORGET_ID, "Forget me", style=discord.ButtonStyle.danger)])
