"""Every dilemma in the bank, and the schema's extremes, fit Discord's limits; nothing a pack or member writes pings."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime

from adapters.discord.render import render, thread_name
from bot.cards import DiscussionCard, RevealCard, StudyMode, StudyResultCard
from bot.keys import ChannelKey
from bot.scenarios import Bank, Dilemma, Option
from bot.service import Casebook
from bot.store.records import PostRecord
from tests.discord.conftest import Running
from tests.discord.test_loop import post_dilemma, vote_id
from tests.fakes import discord_limits as limits
from tests.fakes.clock import FakeClock
from tests.fakes.discord_server import ADMIN_PERMISSIONS, FakeDiscord

PINGS = "@everyone @here <@123456789012345678> <@&234567890123456789> <@!345678901234567890>"


def post_record(dilemma: Dilemma, post_id: int = 7) -> PostRecord:
    now = datetime(2026, 3, 2, 14, tzinfo=UTC)
    return PostRecord(post_id, 1, dilemma.id, dilemma.topic, "manual", date(2026, 3, 2), "open", now, now,
                      datetime(2026, 3, 3, 2, tzinfo=UTC), None, None, "1", None, dilemma.best_letter, 0)


def split_for(dilemma: Dilemma, rng: random.Random) -> Counter[str]:
    return Counter({letter: rng.randrange(0, 5000) for letter in dilemma.letters})


def assert_fits(problems: list[str]) -> None:
    assert problems == [], "\n".join(problems)


def extreme_dilemma(bank: Bank) -> Dilemma:
    """The schema's largest: 220 long words of situation, five options of 300 and 700 characters, six refs."""
    base = next(iter(bank.dilemmas.values()))
    word = "counterproductively"
    options = [Option(text=("x" * 9 + " ") * 30, reasoning=(word + " ") * 35, best=i == 2) for i in range(5)]
    references = [f"{code.id} {section}" for code in bank.codes.values() for section in code.sections][:6]
    return base.model_copy(update={
        "title": "T" * 100, "situation": " ".join([word] * 220), "question": "Q" * 250, "options": options,
        "takeaway": "k" * 200, "discussion": "d" * 300, "references": references,
    })


def test_every_bank_dilemma_and_the_extremes_render_within_limits(core: Casebook, bank: Bank) -> None:
    rng = random.Random(3)
    dilemmas = [*bank.dilemmas.values(), extreme_dilemma(bank)]
    for dilemma in dilemmas:
        post = post_record(dilemma)
        opened = render(core.dilemma_card(post, dilemma, "America/Chicago", 1234))
        assert_fits(limits.message_problems(opened.payload(), where=f"post {dilemma.id}"))
        for split in (Counter[str](), split_for(dilemma, rng)):
            revealed = render(core.reveal_card(post, dilemma, split))
            assert_fits(limits.message_problems(revealed.payload(), where=f"reveal {dilemma.id}"))
        discussion = DiscussionCard(post.id, dilemma.title, dilemma.discussion)
        assert_fits(limits.message_problems(render(discussion).payload(), where=f"thread {dilemma.id}"))
        for mode in StudyMode:
            question = core.study._question(mode, dilemma, 3)
            assert_fits(limits.message_problems(render(question).payload(), where=f"{mode} {dilemma.id}"))
            reveal = core.reveal_card(post, dilemma, Counter({"A": 1}))
            result = StudyResultCard(mode, dilemma.id, dilemma.title, "A", dilemma.best_letter == "A",
                                     reveal.options, dilemma.takeaway, reveal.references,
                                     datetime(2026, 4, 1, tzinfo=UTC), 4)
            assert_fits(limits.message_problems(render(result).payload(), where=f"{mode} answer {dilemma.id}"))
        assert_fits(limits.thread_name_problems(thread_name(discussion), where=f"thread {dilemma.id}"))


def test_the_extreme_reveal_keeps_every_option_and_marks_cuts(core: Casebook, bank: Bank) -> None:
    dilemma = extreme_dilemma(bank)
    card: RevealCard = core.reveal_card(post_record(dilemma), dilemma, Counter({"A": 3, "C": 5}))
    payload = render(card).payload()
    text = str(payload["embeds"])
    assert all(f"'name': '{letter} " in text for letter in "ABCDE")
    assert "…" in text, "whatever had to be cut is marked"
    assert "best answer" in text and "the common trap" in text


async def test_every_bank_dilemma_posts_and_reveals_on_the_local_discord(fake: FakeDiscord, core: Casebook,
                                                                         running: Running) -> None:
    publisher = running.adapter.publisher
    channel = ChannelKey("discord", str(fake.guild_id), str(fake.channel_id))
    rng = random.Random(5)
    for number, dilemma in enumerate(core.bank.dilemmas.values(), start=1):
        post = post_record(dilemma, number)
        ref = await publisher.post(channel, core.dilemma_card(post, dilemma, "UTC", 0))
        await publisher.edit(channel, ref, core.reveal_card(post, dilemma, split_for(dilemma, rng)))
        await publisher.open_thread(channel, ref, DiscussionCard(number, dilemma.title, dilemma.discussion))
    assert len(fake.threads) == len(core.bank.dilemmas)
    assert fake.violations == []


def pinging_bank(bank: Bank) -> Bank:
    base = next(iter(bank.dilemmas.values()))
    options = [o.model_copy(update={"text": f"{o.text} {PINGS}", "reasoning": f"{o.reasoning} {PINGS} **bold**"})
               for o in base.options]
    loud = base.model_copy(update={
        "id": "loud-dilemma", "title": f"@everyone look {PINGS}"[:100],
        "situation": f"{base.situation} {PINGS} _under_ `code` ||spoiler||", "options": options,
        "question": f"@here {base.question}", "takeaway": f"@everyone {base.takeaway}"[:200],
        "discussion": f"@everyone {base.discussion}"[:300],
    })
    return Bank(dilemmas={loud.id: loud}, packs=bank.packs, topics=bank.topics, codes=bank.codes)


async def test_a_dilemma_full_of_mentions_pings_nobody(fake: FakeDiscord, bank: Bank, clock: FakeClock,
                                                        db_path: object) -> None:
    from pathlib import Path

    from tests.discord.conftest import close_core, open_core, start_adapter

    core = await open_core(Path(str(db_path)), pinging_bank(bank), clock)
    started = await start_adapter(fake, core, Path(str(db_path)))
    try:
        post = await post_dilemma(fake, "loud-dilemma")
        await (await fake.click(vote_id(post, "A"), user="@everyone")).wait()
        await (await fake.click(vote_id(post, "B"), user="<@123456789012345678>")).wait()
        await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
        board = await (await fake.slash("leaderboard", user="@here")).wait()
        assert "@\u200beveryone" in board.text()
        stats = await (await fake.slash("stats", user="@everyone")).wait()
        assert "@\u200beveryone" in stats.text()
    finally:
        await started.stop()
        await close_core(core)
    edited = fake.messages[int(post["id"])]
    assert "@\u200beveryone" in edited["embeds"][0]["description"] and not edited["mention_everyone"]
    assert fake.threads and "@everyone" not in next(iter(fake.threads.values()))["name"]
    # the fake checks every payload for a ping that is not escaped, and for allowed_mentions other than none
    assert fake.violations == []


def test_every_other_card_fits_at_its_extremes() -> None:
    from bot.cards import (
        Card,
        HelpCard,
        LeaderboardCard,
        LeaderLine,
        Notice,
        Period,
        PostedCard,
        RecapCard,
        ScheduleCard,
        StatsCard,
        TopicsCard,
        TopicStat,
        VoteConfirmation,
    )
    from bot.service import HELP_ACTIONS

    moment = datetime(2026, 3, 2, 20, tzinfo=UTC)
    long_name = "@everyone " + "n" * 90
    lines = tuple(LeaderLine(rank, long_name if rank % 2 else None, 10**6, 999, 1000) for rank in range(1, 11))
    cards: list[Card] = [
        LeaderboardCard(Period.ALL, "all time", lines),
        LeaderboardCard(Period.WEEK, "week 10", ()),
        StatsCard(long_name, 10**6, 1000, 999, 55, 99,
                  tuple(TopicStat("Topic " + "t" * 60 + str(i), 5, 9, 0.5) for i in range(40)), "Boundaries"),
        TopicsCard(tuple((f"topic-{i}", "Title " + "x" * 60, i) for i in range(60))),
        HelpCard(HELP_ACTIONS),
        ScheduleCard("America/Argentina/ComodRivadavia", "09:00", "11h 00m after the post",
                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), tuple("Title " + "y" * 60 for _ in range(20)),
                     False, moment),
        ScheduleCard("UTC", None, "", (), (), False, None),
        RecapCard("week 10 of 2026", lines[:5], 10**5, 5 * 10**4, "@here " + "s" * 95, 3, "1234"),
        Notice.error("'<@123456789012345678>' is not a topic. " + "t, " * 900),
        PostedCard(1, "@everyone " + "p" * 90, moment),
        VoteConfirmation("B", "@everyone " + "o" * 290, moment, "A"),
    ]
    channel = ChannelKey("discord", "1", "2")
    for card in cards:
        payload = render(card, channel).payload()
        assert_fits(limits.message_problems(payload, where=type(card).__name__))


async def test_the_weekly_recap_is_announced(fake: FakeDiscord, running: Running) -> None:
    from bot.cards import LeaderLine, RecapCard

    channel = ChannelKey("discord", str(fake.guild_id), str(fake.channel_id))
    card = RecapCard("week 10 of 2026", (LeaderLine(1, "ana", 30, 3, 3), LeaderLine(2, None, 12, 1, 3)), 6, 4,
                     "The split one", 3, "1234")
    ref = await running.adapter.publisher.announce(channel, card)
    message = fake.messages[int(ref)]
    text = str(message["embeds"])
    assert "ana" in text and "67%" in text and "The split one" in text and "/1234" in text
