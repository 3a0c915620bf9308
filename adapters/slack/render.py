"""Core cards as Slack messages (Block Kit), every piece of text escaped for mrkdwn and kept within limits.

Slack's escaping rule: `&`, `<` and `>` become entities unless they are control characters. The bot never
means a link or a mention, so every `<` it sends is escaped: nothing from a content pack or a member can
become `<!channel>`, `<!here>` or `<@U…>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.cards import (
    Card,
    DilemmaCard,
    DiscussionCard,
    ForgetPrompt,
    HelpCard,
    LeaderboardCard,
    LeaderLine,
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
from bot.text import CONTINUED, bar, chunk_words, percent, shorten

Block = dict[str, Any]

# Block Kit limits (Slack docs and slack_sdk's models).
MAX_BLOCKS = 50
HEADER_TEXT = 150
SECTION_TEXT = 3000
BUTTON_TEXT = 75
CONTEXT_ELEMENTS = 10
FALLBACK_TEXT = 3000
# Slack has refused messages of about 13,000 characters below the per-block limits; stay well under.
MESSAGE_BUDGET = 11000

_SPLIT_ENTITY = re.compile(r"&[a-z]{0,3}$")

VOTE_ACTION_PREFIX = "casebook_vote_"
VOTE_BLOCK_PREFIX = "casebook_vote:"
ANSWER_ACTION_PREFIX = "casebook_answer_"
ANSWER_BLOCK_PREFIX = "casebook_answer:"
FORGET_ACTION = "casebook_forget_confirm"
SLASH_COMMAND = "/casebook"


@dataclass(frozen=True)
class SlackMessage:
    """What goes to chat.postMessage / chat.update / a response_url: a fallback text and blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Escaped text of at most `limit` characters, cut between words before escaping so no entity is split."""
    escaped = escape(text)
    room = limit
    while len(escaped) > limit and room > 3:
        room = max(3, room - max(1, len(escaped) - limit))
        escaped = escape(shorten(text, room))
    return _cut(escaped, limit)


def _cut(escaped: str, limit: int) -> str:
    """A last resort for tiny limits: cut, and drop an entity the cut split (a bare `&` would be raw)."""
    if len(escaped) <= limit:
        return escaped
    return _SPLIT_ENTITY.sub("", escaped[:limit])


def escaped_chunks(text: str, limit: int) -> list[str]:
    """Split text between words into escaped pieces each at most `limit` characters long."""
    room = limit
    while True:
        pieces = [escape(piece) for piece in chunk_words(text, room)]
        if all(len(piece) <= limit for piece in pieces) or room <= 8:
            return [_cut(piece, limit) for piece in pieces]
        room = max(8, room * 4 // 5)


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": fit(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object from already escaped text."""
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def section(escaped_text: str) -> Block:
    if len(escaped_text) > SECTION_TEXT:
        raise ValueError("a section's text must be cut before it is built")
    return {"type": "section", "text": mrkdwn(escaped_text)}


def sections(text: str, *, prefix: str = "") -> list[Block]:
    """Sections holding `text` (raw), split between words; `prefix` is escaped mrkdwn put before the first."""
    pieces = escaped_chunks(text, SECTION_TEXT - len(prefix))
    pieces[0] = prefix + pieces[0]
    return [section(piece) for piece in pieces]


def context(*escaped_texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text) for text in escaped_texts[:CONTEXT_ELEMENTS]]}


def divider() -> Block:
    return {"type": "divider"}


def difficulty_label(difficulty: int) -> str:
    """Dots, as the Discord adapter shows them (●●○ is 2 of 3)."""
    return "●" * difficulty + "○" * max(0, 3 - difficulty)


def closing_time(moment: datetime) -> str:
    return moment.strftime("%a %H:%M %Z").strip()


def votes_label(count: int) -> str:
    return "1 vote" if count == 1 else f"{count} votes"


# -- the published post ---------------------------------------------------------------------------


def question_blocks(title: str, card: DilemmaCard | StudyCard, notes: tuple[str, ...]) -> list[Block]:
    """Header, situation, question and lettered options, then topic, difficulty and notes: a daily post and a
    private study question read the same way."""
    blocks: list[Block] = [header(title), *sections(card.situation)]
    blocks += sections(card.question, prefix="*Question:* ")
    for option in card.options:
        blocks += sections(option.text, prefix=f"*{option.letter}.* ")
    blocks.append(context(f"Topic: {fit(card.topic, 200)}", f"Difficulty: {difficulty_label(card.difficulty)}",
                          *notes))
    return blocks


def dilemma_message(card: DilemmaCard) -> SlackMessage:
    blocks = question_blocks(card.title, card, (
        f"Closes {escape(closing_time(card.closes_at))}",
        f"{votes_label(card.vote_count)} so far (the split stays secret until the reveal)",
    ))
    blocks.append({
        "type": "actions",
        "block_id": f"{VOTE_BLOCK_PREFIX}{card.post_id}",
        "elements": [
            {
                "type": "button",
                "action_id": f"{VOTE_ACTION_PREFIX}{option.letter}",
                "text": plain(option.letter, BUTTON_TEXT),
                "value": f"{card.post_id}:{option.letter}",
            }
            for option in card.options
        ],
    })
    fallback = f"Today's dilemma: {card.title}. Vote {', '.join(o.letter for o in card.options)}."
    return _checked(SlackMessage(fit(fallback, FALLBACK_TEXT), blocks))


def reveal_message(card: RevealCard, *, keep_situation: bool = True) -> SlackMessage:
    blocks: list[Block] = [header(card.title)]
    if keep_situation:
        blocks += sections(card.situation)
    blocks += sections(card.question, prefix="*Question:* ")
    blocks.append(divider())
    for option in card.options:
        share = option.share(card.vote_count)
        marks = ""
        if option.best:
            marks = "  ✅ *Best answer*"
        elif option.trap:
            marks = "  ⚠️ *The common trap*"
        head = f"*{option.letter}. {fit(option.text, 600)}*{marks}\n`{bar(share)}` {percent(share)} · " \
               f"{votes_label(option.votes)}\n"
        reasoning = option.reasoning
        if option.trap:
            head += "> "
        blocks += sections(reasoning, prefix=head)
    blocks.append(divider())
    blocks += sections(card.takeaway, prefix="*Takeaway:* ")
    if card.references:
        lines = [f"• {escape(r.label)}: {escape(r.title)} ({escape(r.code_title)})" for r in card.references]
        blocks += [section(piece) for piece in _join_lines("*Code sections:*", lines)]
    blocks.append(context(
        f"Topic: {fit(card.topic, 200)}",
        f"Difficulty: {difficulty_label(card.difficulty)}",
        f"Voting closed · {votes_label(card.vote_count)}",
    ))
    best = card.best
    fallback = f"Revealed: {card.title}. Best answer {best.letter}: {best.text}"
    message = SlackMessage(fit(fallback, FALLBACK_TEXT), blocks)
    if keep_situation and message_size(message) > MESSAGE_BUDGET:
        return reveal_message(card, keep_situation=False)
    return _checked(message)


def discussion_message(card: DiscussionCard) -> SlackMessage:
    blocks = sections(card.prompt, prefix="💬 *Discuss:* ")
    blocks.append(context(f"Talk it through here: {fit(card.title, 200)}"))
    return _checked(SlackMessage(fit(f"Discuss: {card.prompt}", FALLBACK_TEXT), blocks))


def recap_message(card: RecapCard) -> SlackMessage:
    blocks: list[Block] = [header(f"Week recap: {card.week_label}")]
    lines = [_leader_line(line) for line in card.top] or ["No one answered a dilemma this week."]
    blocks += [section(piece) for piece in _join_lines("*Top five*", lines)]
    accuracy = percent(card.correct / card.answered if card.answered else None)
    blocks.append(section(f"The group answered {card.answered} times and got {accuracy} right."))
    if card.most_split_title:
        blocks += sections(card.most_split_title, prefix="*The dilemma that split us most:* ")
    return _checked(SlackMessage(fit(f"Week recap: {card.week_label}", FALLBACK_TEXT), blocks))


# -- private replies -------------------------------------------------------------------------------


def private_message(card: Card) -> SlackMessage:
    """A reply only the member sees; refuses a card type it does not know (or one meant for the channel)."""
    renderer = _PRIVATE.get(type(card))
    if renderer is None:
        raise TypeError(f"the Slack adapter cannot render {type(card).__name__} as a private reply")
    return _checked(renderer(card))


def notice_message(card: Notice) -> SlackMessage:
    text = fit(card.text, SECTION_TEXT - 4)
    if card.kind is NoticeKind.ERROR:
        text = f"⚠️ {text}"
    return SlackMessage(text, [section(text)])


def vote_message(card: VoteConfirmation) -> SlackMessage:
    until = card.closes_at.strftime("%H:%M")
    text = f"You chose {escape(card.letter)}; you can change it until {until}."
    if card.changed_from:
        text = f"You changed your vote from {escape(card.changed_from)} to {escape(card.letter)}; " \
               f"you can change it until {until}."
    body = f"{text}\n_{fit(card.option_text, 600)}_"
    if card.reviews_due:
        body += f"\nYou have {card.reviews_due} dilemma(s) to review: `{SLASH_COMMAND} review`."
    return SlackMessage(text, [section(body)])


def posted_message(card: PostedCard) -> SlackMessage:
    text = f"Posted *{fit(card.title, 300)}*; voting closes {escape(closing_time(card.closes_at))}."
    return SlackMessage(text, [section(text)])


def leaderboard_message(card: LeaderboardCard) -> SlackMessage:
    title = f"Leaderboard: {card.period_label}"
    lines = [_leader_line(line) for line in card.lines] or ["No points yet in this period."]
    blocks = [header(title), *[section(piece) for piece in _join_lines("", lines)]]
    return SlackMessage(fit(title, FALLBACK_TEXT), blocks)


def stats_message(card: StatsCard) -> SlackMessage:
    title = f"Stats: {card.name}"
    summary = (
        f"*{card.points}* points · {card.correct}/{card.answered} best answers · "
        f"streak {card.current_streak} (best {card.best_streak})"
    )
    lines = [
        f"• {escape(t.topic)}: `{bar(t.member_accuracy or 0.0)}` {t.member_correct}/{t.member_answered} "
        f"({percent(t.member_accuracy)}), group {percent(t.group_accuracy)}"
        for t in card.topics
    ]
    blocks: list[Block] = [header(title), section(summary)]
    if lines:
        blocks += [section(piece) for piece in _join_lines("*By topic*", lines)]
    if card.weeks:
        weekly = [f"• {escape(label)}: {correct}/{answered} best {bar(correct / answered if answered else 0.0)}"
                  for label, answered, correct in card.weeks]
        blocks += [section(piece) for piece in _join_lines("*Recent weeks*", weekly)]
    if card.practise_next:
        blocks.append(context(f"Worth practising next: {fit(card.practise_next, 200)}"))
    return SlackMessage(fit(title, FALLBACK_TEXT), blocks)


def topics_message(card: TopicsCard) -> SlackMessage:
    lines = [f"• {escape(title)} (`{escape(slug)}`): {count}" for slug, title, count in card.rows]
    blocks = [header("Topics"), *[section(piece) for piece in _join_lines("", lines or ["No topics yet."])]]
    blocks.append(context(f"Post one: {SLASH_COMMAND} post TOPIC"))
    return SlackMessage("Topics and how many dilemmas each has", blocks)


def help_message(card: HelpCard) -> SlackMessage:
    lines = [
        f"• `{SLASH_COMMAND} {escape(words)}`: {escape(what)}{' (admin)' if admin else ''}"
        for words, what, admin in card.actions
    ]
    blocks = [header("Casebook"), *[section(piece) for piece in _join_lines("", lines)]]
    return SlackMessage("Casebook commands", blocks)


def schedule_message(card: ScheduleCard) -> SlackMessage:
    if card.post_time is None:
        text = "No schedule is set here."
        return SlackMessage(text, [section(text)])
    state = f"paused ({escape(card.paused_reason)})" if card.paused_reason else "paused" if card.paused else "active"
    lines = [
        f"Posts at *{escape(card.post_time)}*, reveals {escape(card.reveal)} ({escape(card.tz)})",
        f"Days: {escape(', '.join(card.days))}",
        f"Topics: {escape(', '.join(card.topics)) if card.topics else 'every topic'}",
        f"Difficulty: {f'{card.difficulty} only' if card.difficulty else 'rotating through the week'}",
        f"Schedule: {state}",
    ]
    if card.next_post_at is not None:
        lines.append(f"Next post: {escape(closing_time(card.next_post_at))}")
    blocks = [header("Schedule"), *[section(piece) for piece in _join_lines("", lines)]]
    return SlackMessage(f"Schedule: {state}", blocks)


def study_message(card: StudyCard) -> SlackMessage:
    """A practice or review question only the member sees, with its own answer buttons."""
    kind = "Practice" if card.mode is StudyMode.PRACTICE else f"Review ({card.due_count} due)"
    blocks = question_blocks(f"{kind}: {card.title}", card, ("Only you see this; it never changes the leaderboard",))
    blocks.append({
        "type": "actions",
        "block_id": f"{ANSWER_BLOCK_PREFIX}{card.mode.value}",
        "elements": [
            {
                "type": "button",
                "action_id": f"{ANSWER_ACTION_PREFIX}{option.letter}",
                "text": plain(option.letter, BUTTON_TEXT),
                "value": f"{card.mode.value}:{card.dilemma_id}:{option.letter}",
            }
            for option in card.options
        ],
    })
    return SlackMessage(fit(f"{kind}: {card.title}", FALLBACK_TEXT), blocks)


def study_result_message(card: StudyResultCard) -> SlackMessage:
    best = card.best
    verdict = (f"You chose {escape(card.chosen)}: ✅ the best answer." if card.correct
               else f"You chose {escape(card.chosen)}; the best answer is *{escape(best.letter)}*.")
    blocks: list[Block] = [header(card.title), section(verdict), divider()]
    for option in card.options:
        marks = "  ✅ *Best answer*" if option.best else ""
        if option.letter == card.chosen and not option.best:
            marks = "  ✖️ *Your answer*"
        blocks += sections(option.reasoning, prefix=f"*{option.letter}. {fit(option.text, 600)}*{marks}\n")
    blocks.append(divider())
    blocks += sections(card.takeaway, prefix="*Takeaway:* ")
    if card.references:
        lines = [f"• {escape(r.label)}: {escape(r.title)} ({escape(r.code_title)})" for r in card.references]
        blocks += [section(piece) for piece in _join_lines("*Code sections:*", lines)]
    notes = []
    if card.next_review_at is not None:
        notes.append(f"Next review of this one: {escape(card.next_review_at.strftime('%a %d %b'))}")
    if card.mode is StudyMode.REVIEW:
        notes.append(f"Reviews still due: {card.due_remaining}" + (
            f" · `{SLASH_COMMAND} review` for the next" if card.due_remaining else ""))
    else:
        notes.append(f"`{SLASH_COMMAND} practice` for another")
    blocks.append(context(*notes))
    return SlackMessage(fit(f"{card.title}: you chose {card.chosen}", FALLBACK_TEXT), blocks)


def forget_message(card: ForgetPrompt) -> SlackMessage:
    text = fit(card.text, SECTION_TEXT)
    button = {
        "type": "button",
        "action_id": FORGET_ACTION,
        "style": "danger",
        "text": plain("Forget me", BUTTON_TEXT),
        "value": "forget-confirm",
        "confirm": {
            "title": plain("Forget everything?", 100),
            "text": plain("Your votes, points, streaks and review cards are deleted for good.", 300),
            "confirm": plain("Forget me", 30),
            "deny": plain("Keep my data", 30),
            "style": "danger",
        },
    }
    blocks = [section(text), {"type": "actions", "block_id": "casebook_forget", "elements": [button]},
              context(f"Or type `{SLASH_COMMAND} privacy forget confirm`.")]
    return SlackMessage(text, blocks)


_PRIVATE: dict[type, Any] = {
    Notice: notice_message,
    VoteConfirmation: vote_message,
    PostedCard: posted_message,
    LeaderboardCard: leaderboard_message,
    StatsCard: stats_message,
    TopicsCard: topics_message,
    HelpCard: help_message,
    ScheduleCard: schedule_message,
    StudyCard: study_message,
    StudyResultCard: study_result_message,
    ForgetPrompt: forget_message,
}


# -- helpers ---------------------------------------------------------------------------------------


def _leader_line(line: LeaderLine) -> str:
    name = "_a member who hides_" if line.name is None else escape(shorten(line.name, 80))
    return f"{line.rank}. {name}: *{line.points}* pts ({line.correct}/{line.answered} best)"


def _join_lines(title: str, lines: list[str]) -> list[str]:
    """Escaped lines packed into as few section texts as fit, each under the section limit."""
    pieces: list[str] = []
    current = title
    for line in lines:
        line = line[: SECTION_TEXT - 1] if len(line) >= SECTION_TEXT else line
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_TEXT:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces or [CONTINUED]


def message_size(message: SlackMessage) -> int:
    """Characters of text a message carries, the measure Slack's total-size refusals follow."""
    return len(message.text) + sum(len(text) for text in _texts(message.blocks))


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["text"]] if isinstance(value.get("text"), str) else []
        for key, item in value.items():
            if key != "text" or not isinstance(item, str):
                found += _texts(item)
        return found
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def _checked(message: SlackMessage) -> SlackMessage:
    """Developer errors surface here, not as a refusal from Slack: too many blocks or too much text."""
    if len(message.blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(message.blocks)} blocks; Slack allows {MAX_BLOCKS}")
    if message_size(message) > MESSAGE_BUDGET:
        raise ValueError(f"{message_size(message)} characters; the budget is {MESSAGE_BUDGET}")
    return message
