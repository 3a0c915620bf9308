"""The command vocabulary shared by every platform, and the parser for its text form (`/casebook WORDS`).

Discord builds these values from typed slash-command options; Slack and the console parse text with
`parse_command`. Either way the core's `Casebook.handle` is the one entry point.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.cards import Period
from bot.schedule import ScheduleError, ScheduleRequest, parse_schedule

_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Post:
    target: str | None = None  # a scenario id or a topic


@dataclass(frozen=True)
class Reveal:
    pass


@dataclass(frozen=True)
class Leaderboard:
    period: Period = Period.WEEK


@dataclass(frozen=True)
class Stats:
    subject_user_id: str | None = None  # None: the member asking


@dataclass(frozen=True)
class Topics:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ScheduleSet:
    request: ScheduleRequest


@dataclass(frozen=True)
class ScheduleShow:
    pass


@dataclass(frozen=True)
class SchedulePause:
    pass


@dataclass(frozen=True)
class ScheduleResume:
    pass


@dataclass(frozen=True)
class ChannelAdmin:
    """Add or remove a member from the channel's own admins (besides the platform's)."""

    user_id: str
    add: bool


@dataclass(frozen=True)
class ScheduleRecap:
    enabled: bool


@dataclass(frozen=True)
class ScheduleScoring:
    """Per-channel scoring: only the values given change (best, part, streak, cap)."""

    changes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Privacy:
    action: str  # hide | show | export | forget | forget-confirm


@dataclass(frozen=True)
class Practice:
    topic: str | None = None


@dataclass(frozen=True)
class Review:
    pass


@dataclass(frozen=True)
class Answer:
    """An answer to a private practice or review question (a button, or a letter in the console)."""

    mode: str  # practice | review
    dilemma_id: str
    letter: str


Command = (
    Post | Reveal | Leaderboard | Stats | Topics | Help | ScheduleSet | ScheduleShow | SchedulePause
    | ScheduleResume | ScheduleRecap | ScheduleScoring | ChannelAdmin | Privacy | Practice | Review | Answer
)
ADMIN_COMMANDS = (Post, Reveal, ScheduleSet, SchedulePause, ScheduleResume, ScheduleRecap, ScheduleScoring,
                  ChannelAdmin)
SCORING_WORDS = {"best": "best_points", "part": "participation_points", "streak": "streak_step",
                 "cap": "streak_cap"}

USAGE = (
    "Use one of: post [id or topic] · reveal · practice [topic] · review · leaderboard [week|month|all] · "
    "stats [@member] · topics · schedule set HH:MM HH:MM Area/City [days] [topics] · "
    "schedule show|pause|resume|recap|scoring|admins · privacy hide|show|export|forget · help"
)
PRIVACY_ACTIONS = ("hide", "show", "export", "forget")


def needs_admin(command: Command) -> bool:
    """Whether the core will refuse this command from a member who is not an admin; adapters use it to look up
    admin status only when it matters (on Slack that costs a users.info call)."""
    return isinstance(command, ADMIN_COMMANDS)


class CommandError(ValueError):
    """Words that do not make a command; the message says what is accepted."""


def parse_period(word: str | None) -> Period:
    if word is None:
        return Period.WEEK
    try:
        return Period(word.lower())
    except ValueError as error:
        raise CommandError(f"'{word}' is not a period: use week, month or all.") from error


def parse_mention(word: str) -> str:
    match = _MENTION.match(word)
    if match is None:
        raise CommandError(f"'{word}' is not a member: mention them, like @name.")
    return match[1]


def parse_command(text: str, known_topics: Iterable[str]) -> Command:
    words = text.split()
    if not words:
        return Help()
    action, rest = words[0].lower(), words[1:]
    if action == "post":
        _at_most(rest, 1, "post [id or topic]")
        return Post(rest[0] if rest else None)
    if action == "reveal":
        _at_most(rest, 0, "reveal")
        return Reveal()
    if action == "leaderboard":
        _at_most(rest, 1, "leaderboard [week|month|all]")
        return Leaderboard(parse_period(rest[0] if rest else None))
    if action == "stats":
        _at_most(rest, 1, "stats [@member]")
        return Stats(parse_mention(rest[0]) if rest else None)
    if action in ("topics", "help"):
        _at_most(rest, 0, action)
        return Topics() if action == "topics" else Help()
    if action == "schedule":
        return _schedule(rest, known_topics)
    if action == "privacy":
        return _privacy([word.lower() for word in rest])
    if action == "practice":
        _at_most(rest, 1, "practice [topic]")
        if rest and rest[0].lower() not in set(known_topics):
            raise CommandError(f"'{rest[0]}' is not a topic. Topics: {', '.join(sorted(known_topics))}.")
        return Practice(rest[0].lower() if rest else None)
    if action == "review":
        _at_most(rest, 0, "review")
        return Review()
    raise CommandError(f"'{words[0]}' is not a Casebook command. {USAGE}")


def _privacy(words: list[str]) -> Command:
    if words == ["forget", "confirm"]:
        return Privacy("forget-confirm")
    if len(words) != 1 or words[0] not in PRIVACY_ACTIONS:
        raise CommandError("Use: privacy hide (leave leaderboards), privacy show (appear again), privacy export "
                           "(your data as JSON) or privacy forget (delete everything about you).")
    return Privacy(words[0])


def _schedule(words: list[str], known_topics: Iterable[str]) -> Command:
    simple: dict[str, Command] = {"show": ScheduleShow(), "pause": SchedulePause(), "resume": ScheduleResume()}
    if not words:
        raise CommandError("Use: schedule set|show|pause|resume.")
    verb = words[0].lower()
    if verb in simple:
        _at_most(words[1:], 0, f"schedule {verb}")
        return simple[verb]
    if verb == "recap":
        if len(words) != 2 or words[1].lower() not in ("on", "off"):
            raise CommandError("Use: schedule recap on|off (the weekly recap after the week's last reveal).")
        return ScheduleRecap(words[1].lower() == "on")
    if verb == "scoring":
        return ScheduleScoring(parse_scoring(words[1:]))
    if verb == "admins":
        if len(words) != 3 or words[1].lower() not in ("add", "remove"):
            raise CommandError("Use: schedule admins add|remove @member (this channel's own admins).")
        return ChannelAdmin(parse_mention(words[2]), words[1].lower() == "add")
    if verb != "set":
        raise CommandError(f"'{words[0]}' is not a schedule action: use set, show, pause, resume, recap, "
                           "scoring or admins.")
    try:
        return ScheduleSet(parse_schedule(words[1:], known_topics))
    except ScheduleError as error:
        raise CommandError(str(error)) from error


def parse_scoring(words: list[str]) -> tuple[tuple[str, int], ...]:
    """`best=10 part=1 streak=1 cap=5`, any of them, each a whole number from 0 to 1000."""
    usage = "Use: schedule scoring best=10 part=1 streak=1 cap=5 (any of them, whole numbers 0 to 1000)."
    if not words:
        raise CommandError(usage)
    changes = []
    for word in words:
        name, _, value = word.lower().partition("=")
        if name not in SCORING_WORDS or not value.isdigit() or int(value) > 1000:
            raise CommandError(f"'{word}' is not a scoring setting. {usage}")
        changes.append((SCORING_WORDS[name], int(value)))
    return tuple(changes)


def _at_most(words: list[str], count: int, usage: str) -> None:
    if len(words) > count:
        raise CommandError(f"Too many words. Use: {usage}.")
