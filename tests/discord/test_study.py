"""Private practice and review, and the privacy actions, through the real discord.py stack."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.service import Casebook
from tests.discord.conftest import Running
from tests.discord.test_loop import post_dilemma, vote_id
from tests.fakes.clock import FakeClock
from tests.fakes.discord_server import ADMIN_PERMISSIONS, FakeDiscord, InteractionRecord


def study_button(record: InteractionRecord, letter: str) -> str:
    return str(next(c["custom_id"] for row in record.message["components"] for c in row["components"]
                    if c["custom_id"].endswith(":" + letter)))


async def test_practice_is_private_and_never_touches_the_leaderboard(fake: FakeDiscord, core: Casebook,
                                                                     running: Running) -> None:
    question = await (await fake.slash("dilemma practice", {"topic": "boundaries"}, user="ana")).wait()
    assert question.ephemeral and question.text().startswith("Practice:")
    custom_id = study_button(question, "A")
    assert custom_id.startswith("casebook:practice:") and len(custom_id) <= 100
    dilemma = core.bank.dilemmas[custom_id.split(":")[2]]
    assert dilemma.topic == "boundaries"
    best = study_button(question, dilemma.best_letter)
    result = await (await fake.click(best, user="ana", message=question.message)).wait()
    assert result.ephemeral and "is the best answer" in result.text() and "Takeaway" in result.text()
    board = await (await fake.slash("leaderboard", {"period": "all"}, user="ana")).wait()
    assert "ana" not in board.text()
    wrong = await (await fake.slash("dilemma practice", {"topic": "astrology"}, user="ana")).wait()
    assert wrong.ephemeral and "not a topic" in wrong.text()


async def test_review_brings_back_a_missed_daily_dilemma(fake: FakeDiscord, core: Casebook, clock: FakeClock,
                                                          running: Running) -> None:
    empty = await (await fake.slash("dilemma review", user="ben")).wait()
    assert empty.ephemeral and "Nothing to review" in empty.text()
    post = await post_dilemma(fake)
    dilemma = next(d for d in core.bank.dilemmas.values() if d.title in json.dumps(post["embeds"]))
    wrong = next(letter for letter in dilemma.letters if letter != dilemma.best_letter)
    await (await fake.click(vote_id(post, wrong), user="ben")).wait()
    await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    clock.advance(timedelta(days=60))
    due = await (await fake.slash("dilemma review", user="ben")).wait()
    assert due.ephemeral and due.text().startswith("Review (1 due)"), due.text()
    answered = await (await fake.click(study_button(due, dilemma.best_letter), user="ben",
                                       message=due.message)).wait()
    assert "is the best answer" in answered.text() and "Next review" in answered.text()


async def test_export_sends_a_private_json_file(fake: FakeDiscord, running: Running) -> None:
    nothing = await (await fake.slash("privacy export", user="cara")).wait()
    assert nothing.ephemeral and "stores nothing" in nothing.text()
    post = await post_dilemma(fake)
    await (await fake.click(vote_id(post, "A"), user="cara")).wait()
    export = await (await fake.slash("privacy export", user="cara")).wait()
    assert export.ephemeral
    attachment = export.message["attachments"][0]
    assert attachment["filename"].endswith(".json")
    data = json.loads(fake.files[int(attachment["id"])])
    assert str(fake.user("cara").id) in json.dumps(data)


async def test_forget_asks_first_then_deletes_on_the_button(fake: FakeDiscord, core: Casebook,
                                                             running: Running) -> None:
    post = await post_dilemma(fake)
    await (await fake.click(vote_id(post, "A"), user="dev")).wait()
    prompt = await (await fake.slash("privacy forget", user="dev")).wait()
    assert prompt.ephemeral and "Confirm" in prompt.text()
    button = prompt.message["components"][0]["components"][0]
    assert button["custom_id"] == "casebook:forget" and button["style"] == 4
    done = await (await fake.click("casebook:forget", user="dev", message=prompt.message)).wait()
    assert done.ephemeral and "Forgotten" in done.text()
    post_id = int(vote_id(post, "A").split(":")[2])
    assert await core.store.vote_count(post_id) == 0
    stranger = await (await fake.click("casebook:forget", user="eve", message=prompt.message)).wait()
    assert "Ask first" in stranger.text()
