"""Cards as rich renderables for the terminal."""

from __future__ import annotations

from functools import singledispatch

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.cards import (
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
from bot.text import bar, percent


@singledispatch
def render(card: object) -> RenderableType:
    raise TypeError(f"the console cannot render {type(card).__name__}")


def _question(card: DilemmaCard | StudyCard, footer: str, title: str) -> RenderableType:
    body = Text()
    body.append(f"{card.situation}\n\n")
    body.append(f"{card.question}\n\n", style="bold")
    for option in card.options:
        body.append(f"  {option.letter}. ", style="bold cyan")
        body.append(f"{option.text}\n")
    body.append(f"\n{card.topic} · difficulty {card.difficulty} · {footer}", style="dim")
    return Panel(body, title=title, title_align="left")


@render.register
def _dilemma(card: DilemmaCard) -> RenderableType:
    return _question(card, f"closes {card.closes_at:%a %H:%M %Z} · {card.vote_count} vote(s)",
                     f"Dilemma #{card.post_id}: {card.title}")


@render.register
def _reveal(card: RevealCard) -> RenderableType:
    table = Table(show_header=True, expand=True, show_lines=True)
    table.add_column("", width=5)
    table.add_column("option and why")
    table.add_column("votes", justify="right", width=18)
    for option in card.options:
        mark = "✔" if option.best else ("trap" if option.trap else "")
        text = Text()
        text.append(f"{option.letter}. {option.text}\n", style="bold green" if option.best else "bold")
        if option.trap:
            text.append("The common trap: ", style="bold yellow")
        text.append(option.reasoning)
        share = option.share(card.vote_count)
        table.add_row(mark, text, f"{bar(share, 8)} {option.votes} ({percent(share)})")
    references = Text("References: ", style="bold")
    references.append("; ".join(f"{r.label} ({r.title})" for r in card.references))
    return Panel(
        Group(
            Text(f"Best answer: {card.best.letter}. {card.best.text}", style="bold green"),
            table,
            Text(f"Takeaway: {card.takeaway}", style="italic"),
            references,
        ),
        title=f"Revealed #{card.post_id}: {card.title} · {card.vote_count} vote(s)",
        title_align="left",
    )


@render.register
def _discussion(card: DiscussionCard) -> RenderableType:
    return Panel(card.prompt, title=f"Discussion: {card.title}", title_align="left")


@render.register
def _confirmation(card: VoteConfirmation) -> RenderableType:
    changed = f" (changed from {card.changed_from})" if card.changed_from else ""
    nudge = f" You have {card.reviews_due} dilemma(s) to review: type review." if card.reviews_due else ""
    return Text(f"You chose {card.letter}{changed}; you can change it until {card.closes_at:%H:%M %Z}.{nudge}",
                style="green")


@render.register
def _leaderboard(card: LeaderboardCard) -> RenderableType:
    table = Table(title=f"Leaderboard · {card.period_label}", title_justify="left")
    for column in ("#", "member", "points", "correct"):
        table.add_column(column, justify="right" if column != "member" else "left")
    for line in card.lines:
        table.add_row(str(line.rank), line.name or "a member", str(line.points), f"{line.correct}/{line.answered}")
    if not card.lines:
        return Text(f"No points yet for {card.period_label}.")
    return table


@render.register
def _stats(card: StatsCard) -> RenderableType:
    table = Table(title=f"{card.name}: {card.points} points · {card.correct}/{card.answered} correct · "
                        f"streak {card.current_streak} (best {card.best_streak})", title_justify="left")
    for column in ("topic", "you", "", "group"):
        table.add_column(column)
    for topic in card.topics:
        table.add_row(topic.topic, percent(topic.member_accuracy), bar(topic.member_accuracy or 0.0),
                      percent(topic.group_accuracy))
    if card.practise_next:
        return Group(table, Text(f"Practise next: {card.practise_next}"))
    return table


@render.register
def _topics(card: TopicsCard) -> RenderableType:
    table = Table(title="Topics", title_justify="left")
    table.add_column("topic")
    table.add_column("id")
    table.add_column("dilemmas", justify="right")
    for slug, title, count in card.rows:
        table.add_row(title, slug, str(count))
    return table


@render.register
def _help(card: HelpCard) -> RenderableType:
    table = Table(title="Commands (type them here; a letter alone votes)", title_justify="left")
    table.add_column("command")
    table.add_column("what it does")
    for words, meaning, admin in card.actions:
        table.add_row(words, meaning + (" (admin)" if admin else ""))
    return table


@render.register
def _schedule(card: ScheduleCard) -> RenderableType:
    if card.post_time is None:
        return Text("No schedule is set.")
    topics = ", ".join(card.topics) or "every topic"
    if card.difficulty is not None:
        topics += f" · difficulty {card.difficulty} only"
    state = f"paused ({card.paused_reason})" if card.paused_reason else "paused" if card.paused else "active"
    next_post = f" · next post {card.next_post_at:%a %d %b %H:%M %Z}" if card.next_post_at else ""
    return Text(f"Posts at {card.post_time}, reveals {card.reveal} ({card.tz}) on {', '.join(card.days)} · "
                f"{topics} · {state}{next_post}")


@render.register
def _recap(card: RecapCard) -> RenderableType:
    lines = [f"{line.rank}. {line.name or 'a member'} · {line.points} points" for line in card.top]
    accuracy = percent(card.correct / card.answered if card.answered else None)
    split = f"\nMost divided: {card.most_split_title}" if card.most_split_title else ""
    return Panel("\n".join(lines) + f"\nGroup accuracy: {accuracy} of {card.answered} answers{split}",
                 title=f"Recap · {card.week_label}", title_align="left")


@render.register
def _notice(card: Notice) -> RenderableType:
    return Text(card.text, style="red" if card.kind is NoticeKind.ERROR else "")


@render.register
def _posted(card: PostedCard) -> RenderableType:
    return Text(f"Posted #{card.post_id}: {card.title} (closes {card.closes_at:%H:%M %Z}).", style="dim")


@render.register
def _study(card: StudyCard) -> RenderableType:
    due = f"{card.due_count} due · " if card.mode is StudyMode.REVIEW else ""
    return _question(card, f"{due}only you see this; answer with a letter",
                     f"{card.mode.value.title()}: {card.title}")


@render.register
def _study_result(card: StudyResultCard) -> RenderableType:
    verdict = "Right" if card.correct else f"Not quite: the best answer is {card.best.letter}"
    lines = Text(f"{verdict}. You chose {card.chosen}.\n", style="bold green" if card.correct else "bold yellow")
    for option in card.options:
        lines.append(f"{option.letter}. {option.text}\n", style="bold green" if option.best else "bold")
        lines.append(f"{option.reasoning}\n")
    lines.append(f"Takeaway: {card.takeaway}\n", style="italic")
    lines.append("References: " + "; ".join(f"{r.label} ({r.title})" for r in card.references) + "\n")
    if card.next_review_at is not None:
        lines.append(f"Next review: {card.next_review_at:%a %d %b}", style="dim")
    if card.mode is StudyMode.REVIEW:
        lines.append(f" · {card.due_remaining} more due", style="dim")
    return Panel(lines, title=f"{card.mode.value.title()} answer: {card.title}", title_align="left")


@render.register
def _export(card: ExportCard) -> RenderableType:
    return Text(f"Your data ({len(card.content):,} characters of JSON) is ready as {card.filename}.")


@render.register
def _forget(card: ForgetPrompt) -> RenderableType:
    return Text(f"{card.text} Type: privacy forget confirm", style="yellow")
