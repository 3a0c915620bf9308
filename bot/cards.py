"""Platform-neutral descriptions of what members see. Adapters render each card type; an unknown one fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.scenarios import Bank, Dilemma


@dataclass(frozen=True)
class OptionLine:
    letter: str
    text: str


def option_lines(dilemma: Dilemma) -> tuple[OptionLine, ...]:
    return tuple(OptionLine(letter, option.text) for letter, option in zip(dilemma.letters, dilemma.options,
                                                                            strict=True))


@dataclass(frozen=True)
class DilemmaCard:
    """The open dilemma: never carries the split before the reveal, only the count."""

    post_id: int
    dilemma_id: str
    title: str
    situation: str
    question: str
    options: tuple[OptionLine, ...]
    topic: str
    difficulty: int
    closes_at: datetime  # in the channel's zone
    vote_count: int


@dataclass(frozen=True)
class RevealedOption:
    letter: str
    text: str
    reasoning: str
    votes: int
    best: bool
    trap: bool

    def share(self, total: int) -> float:
        return self.votes / total if total else 0.0


@dataclass(frozen=True)
class Reference:
    label: str
    title: str
    code_title: str


def references(bank: Bank, dilemma: Dilemma) -> tuple[Reference, ...]:
    return tuple(Reference(c.label, c.section_title, c.code_title) for c in bank.citations(dilemma))


@dataclass(frozen=True)
class RevealCard:
    post_id: int
    dilemma_id: str
    title: str
    situation: str
    question: str
    options: tuple[RevealedOption, ...]
    topic: str
    difficulty: int
    vote_count: int
    takeaway: str
    references: tuple[Reference, ...]

    @property
    def best(self) -> RevealedOption:
        return next(option for option in self.options if option.best)

    @property
    def trap(self) -> RevealedOption | None:
        return next((option for option in self.options if option.trap), None)


@dataclass(frozen=True)
class DiscussionCard:
    post_id: int
    title: str
    prompt: str


@dataclass(frozen=True)
class VoteConfirmation:
    letter: str
    option_text: str
    closes_at: datetime  # in the channel's zone
    changed_from: str | None
    reviews_due: int = 0  # a gentle nudge with a member's first vote on a post


class Period(Enum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


@dataclass(frozen=True)
class LeaderLine:
    rank: int
    name: str | None  # None: the member hides from leaderboards
    points: int
    correct: int
    answered: int


@dataclass(frozen=True)
class LeaderboardCard:
    period: Period
    period_label: str
    lines: tuple[LeaderLine, ...]


@dataclass(frozen=True)
class TopicStat:
    topic: str
    member_correct: int
    member_answered: int
    group_accuracy: float | None

    @property
    def member_accuracy(self) -> float | None:
        return self.member_correct / self.member_answered if self.member_answered else None


@dataclass(frozen=True)
class StatsCard:
    name: str
    points: int
    answered: int
    correct: int
    current_streak: int
    best_streak: int
    topics: tuple[TopicStat, ...]
    practise_next: str | None
    weeks: tuple[tuple[str, int, int], ...] = ()  # the last weeks: label, answered, correct


@dataclass(frozen=True)
class TopicsCard:
    rows: tuple[tuple[str, str, int], ...]  # slug, title, dilemma count


@dataclass(frozen=True)
class HelpCard:
    actions: tuple[tuple[str, str, bool], ...]  # action words, what it does, admin only


class NoticeKind(Enum):
    INFO = "info"
    ERROR = "error"


@dataclass(frozen=True)
class Notice:
    """A short private message; errors a member caused are notices, not exceptions."""

    text: str
    kind: NoticeKind = NoticeKind.INFO

    @classmethod
    def error(cls, text: str) -> Notice:
        return cls(text, NoticeKind.ERROR)


@dataclass(frozen=True)
class PostedCard:
    """What an admin sees after posting now."""

    post_id: int
    title: str
    closes_at: datetime


@dataclass(frozen=True)
class ScheduleCard:
    tz: str
    post_time: str | None  # None: no schedule set
    reveal: str  # "20:00" or "11h 0m after the post"
    days: tuple[str, ...]
    topics: tuple[str, ...]  # titles; empty means every topic
    paused: bool
    next_post_at: datetime | None  # in the channel's zone
    difficulty: int | None = None  # None: rotating through the week
    paused_reason: str | None = None  # why the bot paused it itself (the channel is gone or access was removed)


@dataclass(frozen=True)
class RecapCard:
    """The week's recap: top five, the group's accuracy, the dilemma that split the group most."""

    week_label: str
    top: tuple[LeaderLine, ...]
    answered: int
    correct: int
    most_split_title: str | None
    most_split_post_id: int | None
    most_split_ref: str | None


class StudyMode(Enum):
    PRACTICE = "practice"
    REVIEW = "review"


@dataclass(frozen=True)
class StudyCard:
    """A dilemma shown to one member only, to answer privately (practice or a due review)."""

    mode: StudyMode
    dilemma_id: str
    title: str
    situation: str
    question: str
    options: tuple[OptionLine, ...]
    topic: str
    difficulty: int
    due_count: int  # reviews due now, this one included (0 for practice)


@dataclass(frozen=True)
class StudyResultCard:
    """The private answer to a practice or review question: the reasoning at once, for this member only."""

    mode: StudyMode
    dilemma_id: str
    title: str
    chosen: str
    correct: bool
    options: tuple[RevealedOption, ...]  # votes are 0: nobody else's answers are involved
    takeaway: str
    references: tuple[Reference, ...]
    next_review_at: datetime | None
    due_remaining: int

    @property
    def best(self) -> RevealedOption:
        return next(option for option in self.options if option.best)


@dataclass(frozen=True)
class ExportCard:
    """Everything stored about a member, as a JSON file sent to them privately."""

    filename: str
    content: str


@dataclass(frozen=True)
class ForgetPrompt:
    """`forget` asks first; the adapter offers a confirmation (a button, or the words `privacy forget confirm`)."""

    text: str


Card = (
    DilemmaCard | RevealCard | DiscussionCard | VoteConfirmation | LeaderboardCard | StatsCard | TopicsCard
    | HelpCard | Notice | PostedCard | ScheduleCard | RecapCard | StudyCard | StudyResultCard | ExportCard
    | ForgetPrompt
)
