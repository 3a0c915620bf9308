"""Every dilemma of the bank as a Slack post and a reveal within Block Kit's limits; hostile text escaped;
the publisher's failures classified for the core."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.publisher import SlackPublisher
from bot.cards import (
    DilemmaCard,
    DiscussionCard,
    ForgetPrompt,
    HelpCard,
    LeaderboardCard,
    LeaderLine,
    Notice,
    OptionLine,
    Period,
    PostedCard,
    RecapCard,
    Reference,
    RevealCard,
    RevealedOption,
    ScheduleCard,
    StatsCard,
    StudyCard,
    StudyMode,
    StudyResultCard,
    TopicsCard,
    TopicStat,
    VoteConfirmation,
)
from bot.keys import ChannelKey
from bot.publishing import PublishError
from bot.scenarios import Bank
from bot.service import Casebook
from bot.store.records import PostRecord
from tests.fakes.slack_server import FakeSlack, message_text

CHANNEL = ChannelKey("slack", "T0CASEBK", "C0STUDY")
HOSTILE = "<!channel> <!here|here> <!everyone> <@U0ADMIN> <#C0STUDY> <https://evil.example|click> a & b > c"


@pytest.fixture
async def publisher(fake_slack: FakeSlack) -> AsyncIterator[SlackPublisher]:
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=fake_slack.bot_token, base_url=fake_slack.base_url, session=session,
                                retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
        yield SlackPublisher(client)


def _post(dilemma_id: str, best: str) -> PostRecord:
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    values: dict[str, object] = dict(
        id=987654, channel_id=1, dilemma_id=dilemma_id, topic="t", kind="manual", local_date=now.date(),
        state="open", created_at=now, posted_at=now, reveal_at=now + timedelta(hours=11), best_letter=best,
        attempts=0,
    )
    # the record grows as the core does; whatever else it holds is unset for a fresh post
    for name in {f.name for f in dataclasses.fields(PostRecord)} - values.keys():
        values[name] = None
    return PostRecord(**values)  # type: ignore[arg-type]


async def test_every_dilemma_posts_and_reveals_within_limits(
    core: Casebook, bank: Bank, fake_slack: FakeSlack, publisher: SlackPublisher
) -> None:
    assert len(bank.dilemmas) >= 10
    for dilemma in bank.dilemmas.values():
        post = _post(dilemma.id, dilemma.best_letter)
        card = core.dilemma_card(post, dilemma, "America/Chicago", 123456)
        ts = await publisher.post(CHANNEL, card)
        wrong = next(letter for letter in dilemma.letters if letter != dilemma.best_letter)
        split = Counter({letter: 100_000 + i for i, letter in enumerate(dilemma.letters)})
        split[wrong] += 1_000_000
        reveal = core.reveal_card(post, dilemma, split)
        assert reveal.trap is not None
        await publisher.edit(CHANNEL, ts, reveal)
        await publisher.open_thread(CHANNEL, ts, DiscussionCard(post.id, dilemma.title, dilemma.discussion))
        shown = message_text(fake_slack.messages[("C0STUDY", ts)])
        assert "The common trap" in shown and "Best answer" in shown
        assert render.escape(reveal.best.reasoning[:40]) in shown
        for option in reveal.options:
            assert f"*{option.letter}. " in shown
    assert fake_slack.violations == []


def test_every_dilemma_as_a_private_question_and_result_within_limits(bank: Bank) -> None:
    checker = FakeSlack()
    for dilemma in bank.dilemmas.values():
        lines = tuple(OptionLine(letter, o.text) for letter, o in zip(dilemma.letters, dilemma.options, strict=True))
        question = StudyCard(StudyMode.REVIEW, dilemma.id, dilemma.title, dilemma.situation, dilemma.question,
                             lines, dilemma.topic, dilemma.difficulty, 3)
        wrong = next(letter for letter in dilemma.letters if letter != dilemma.best_letter)
        result = StudyResultCard(
            StudyMode.REVIEW, dilemma.id, dilemma.title, wrong, False,
            tuple(RevealedOption(letter, o.text, o.reasoning, 0, o.best, False)
                  for letter, o in zip(dilemma.letters, dilemma.options, strict=True)),
            dilemma.takeaway, tuple(Reference(c.label, c.section_title, c.code_title) for c in bank.citations(dilemma)),
            datetime(2026, 3, 9, tzinfo=UTC), 2,
        )
        for card in (question, result):
            assert checker._valid_message(f"{dilemma.id} {type(card).__name__}",
                                          render.private_message(card).as_kwargs())
    assert checker.violations == []


def _hostile_cards() -> tuple[DilemmaCard, RevealCard]:
    options = tuple(OptionLine(letter, f"{HOSTILE} option {letter}") for letter in "ABCDE")
    closes = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    dilemma = DilemmaCard(1, "x", HOSTILE, HOSTILE * 10, HOSTILE, options, HOSTILE, 2, closes, 3)
    revealed = tuple(
        RevealedOption(o.letter, o.text, HOSTILE * 6, i, o.letter == "A", o.letter == "B")
        for i, o in enumerate(options)
    )
    reveal = RevealCard(1, "x", HOSTILE, HOSTILE * 10, HOSTILE, revealed, HOSTILE, 2, 10, HOSTILE,
                        (Reference(HOSTILE, HOSTILE, HOSTILE),) * 6)
    return dilemma, reveal


async def test_hostile_text_is_escaped_everywhere(fake_slack: FakeSlack, publisher: SlackPublisher) -> None:
    dilemma, reveal = _hostile_cards()
    ts = await publisher.post(CHANNEL, dilemma)
    await publisher.edit(CHANNEL, ts, reveal)
    await publisher.open_thread(CHANNEL, ts, DiscussionCard(1, HOSTILE, HOSTILE))
    await publisher.announce(CHANNEL, RecapCard(HOSTILE, (LeaderLine(1, HOSTILE, 3, 1, 1),), 4, 2, HOSTILE, 1, ts))
    assert fake_slack.violations == []
    shown = message_text(fake_slack.messages[("C0STUDY", ts)])
    assert "&lt;!channel&gt;" in shown and "a &amp; b &gt; c" in shown
    board = render.private_message(LeaderboardCard(Period.WEEK, HOSTILE, (LeaderLine(1, HOSTILE, 1, 1, 1),)))
    assert "<" not in board.text + str(board.blocks)


def test_every_private_reply_escapes_hostile_text() -> None:
    checker = FakeSlack()
    when = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    dilemma, reveal = _hostile_cards()
    cards = [
        Notice(HOSTILE), Notice.error(HOSTILE), VoteConfirmation("A", HOSTILE, when, "B"),
        PostedCard(1, HOSTILE, when),
        LeaderboardCard(Period.MONTH, HOSTILE, (LeaderLine(1, HOSTILE, 3, 1, 2), LeaderLine(2, None, 1, 0, 1))),
        StatsCard(HOSTILE, 3, 2, 1, 1, 2, (TopicStat(HOSTILE, 1, 2, 0.5),), HOSTILE, ((HOSTILE, 2, 1),)),
        TopicsCard(((HOSTILE, HOSTILE, 3),)), HelpCard(((HOSTILE, HOSTILE, True),)),
        ScheduleCard(HOSTILE, "09:00", HOSTILE, (HOSTILE,), (HOSTILE,), False, when),
        StudyCard(StudyMode.PRACTICE, "x", HOSTILE, HOSTILE, HOSTILE, dilemma.options, HOSTILE, 1, 0),
        StudyResultCard(StudyMode.PRACTICE, "x", HOSTILE, "B", False, reveal.options, HOSTILE, reveal.references,
                        when, 0),
        ForgetPrompt(HOSTILE),
    ]
    for card in cards:
        message = render.private_message(card)
        checker._valid_message(type(card).__name__, message.as_kwargs())
        assert "&lt;!channel&gt;" in message.text + json.dumps(message.blocks, ensure_ascii=False)
    assert checker.violations == []


async def test_member_names_are_escaped_on_the_leaderboard(slack) -> None:  # type: ignore[no-untyped-def]
    fake = slack.fake
    fake.add_user("U0EVIL", "<!here> & co")
    message = await slack.post()
    await slack.vote("U0EVIL", message, "A")
    await slack.command_reply("U0ADMIN", "reveal")
    board = await slack.command_reply("U0MEMBER1", "leaderboard")
    assert "&lt;!here&gt; &amp; co" in board


async def test_long_text_is_cut_between_words_within_limits() -> None:
    long_title = "word " * 100
    card = DilemmaCard(5, "x", long_title, "situation " * 700, "q?", (OptionLine("A", "o " * 400),),
                       "topic", 1, datetime(2026, 3, 2, 20, 0, tzinfo=UTC), 0)
    message = render.dilemma_message(card)
    assert len(message.blocks[0]["text"]["text"]) <= render.HEADER_TEXT
    assert message.blocks[0]["text"]["text"].endswith("…")
    assert all(len(b["text"]["text"]) <= render.SECTION_TEXT for b in message.blocks if b["type"] == "section")


def test_an_unknown_card_fails_loudly() -> None:
    with pytest.raises(TypeError):
        render.private_message(object())  # type: ignore[arg-type]
    dilemma, _ = _hostile_cards()
    with pytest.raises(TypeError):
        render.private_message(dilemma)  # the open post belongs in the channel, not in a private reply


@pytest.mark.parametrize(
    ("error", "lasting"),
    [("not_in_channel", True), ("channel_not_found", True), ("ratelimited", False), ("500", False)],
)
async def test_failures_are_classified_for_the_core(
    error: str, lasting: bool, fake_slack: FakeSlack, publisher: SlackPublisher
) -> None:
    dilemma, _ = _hostile_cards()
    fake_slack.fail("C0STUDY", error, retry_after=0)
    with pytest.raises(PublishError) as raised:
        await publisher.post(CHANNEL, dilemma)
    assert raised.value.lasting is lasting
    if error == "ratelimited":
        assert raised.value.retry_after == 0
        assert len(fake_slack.calls_of("chat.postMessage")) == 2  # tried, then retried once after Retry-After


async def test_an_edit_of_a_deleted_message_is_lasting(publisher: SlackPublisher) -> None:
    dilemma, _ = _hostile_cards()
    with pytest.raises(PublishError) as raised:
        await publisher.edit(CHANNEL, "1.000001", dilemma)
    assert raised.value.lasting and raised.value.reason == "message_not_found"


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 9, 75, 150])
@pytest.mark.parametrize("text", ["&" * 400, "<" * 50 + " word" * 40, "a&b " * 90, "x" * 500, "&amp; " * 60])
def test_fit_never_exceeds_the_limit_nor_leaves_a_raw_ampersand(text: str, limit: int) -> None:
    fitted = render.fit(text, limit)
    assert len(fitted) <= limit
    assert "<" not in fitted and ">" not in fitted
    assert not re.search(r"&(?!amp;|lt;|gt;)", fitted)
    for piece in render.escaped_chunks(text, max(limit, 8)):
        assert len(piece) <= max(limit, 8) and not re.search(r"&(?!amp;|lt;|gt;)", piece)
