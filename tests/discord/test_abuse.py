"""Bad input from the wire and from members: the bot survives it and keeps serving."""

from __future__ import annotations

import asyncio

import pytest

from bot.service import Casebook
from tests.discord.conftest import Running
from tests.discord.test_loop import post_dilemma, vote_id
from tests.fakes.discord_server import ADMIN_PERMISSIONS, FakeDiscord


async def test_a_broken_interaction_payload_does_not_stop_the_bot(fake: FakeDiscord, core: Casebook,
                                                                  running: Running) -> None:
    post = await post_dilemma(fake)
    click = fake.make_click(vote_id(post, "A"), user="ana")
    broken = {key: value for key, value in click.payload.items() if key != "attachment_size_limit"}
    await fake.send_raw("INTERACTION_CREATE", broken)
    await asyncio.sleep(0)
    assert not running.task.done()
    answer = await (await fake.click(vote_id(post, "A"), user="ben")).wait()
    assert "You chose" in answer.text()


def forged_post(fake: FakeDiscord, custom_ids: list[str]) -> dict[str, object]:
    """A message with vote buttons the core never made (a deleted post, or ids someone crafted)."""
    message = fake._message(fake.channel_id, {"embeds": [{"title": "old"}], "components": [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": cid[-1], "custom_id": cid}
                                   for cid in custom_ids]}]}, author=fake.bot)
    fake.messages[int(message["id"])] = message
    return message


async def test_forged_or_stale_buttons_get_a_polite_refusal(fake: FakeDiscord, core: Casebook,
                                                             running: Running) -> None:
    post = await post_dilemma(fake)
    post_id = vote_id(post, "A").split(":")[2]
    letters = len(post["components"][0]["components"])
    missing = "E" if letters < 5 else None
    gone = forged_post(fake, ["casebook:vote:987654:A"])
    answer = await (await fake.click("casebook:vote:987654:A", user="ana", message=gone)).wait()
    assert answer.ephemeral and "no longer exists" in answer.text()
    if missing:
        crafted = forged_post(fake, [f"casebook:vote:{post_id}:{missing}"])
        odd = await (await fake.click(f"casebook:vote:{post_id}:{missing}", user="ana", message=crafted)).wait()
        assert odd.ephemeral and "not an option" in odd.text()
    assert await core.store.vote_count(int(post_id)) == 0


async def test_a_double_click_counts_once(fake: FakeDiscord, core: Casebook, running: Running) -> None:
    post = await post_dilemma(fake)
    clicks = [fake.make_click(vote_id(post, letter), user="quick") for letter in ("A", "A", "B")]
    await fake.send_many(clicks)
    for click in clicks:
        await click.wait()
        assert "You chose" in click.text()
    assert await core.store.vote_count(int(vote_id(post, "A").split(":")[2])) == 1


async def test_member_names_with_markdown_and_long_text_are_shown_safely(fake: FakeDiscord, core: Casebook,
                                                                         running: Running) -> None:
    post = await post_dilemma(fake)
    names = ["**bold** _it_ ~~x~~ `c` > q", "x" * 32, "||spoiler|| [link](https://example.com)"]
    for name in names:
        await (await fake.click(vote_id(post, "A"), user=name)).wait()
    await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    board = await (await fake.slash("leaderboard", user="someone")).wait()
    text = board.text()
    assert "\\*\\*bold\\*\\*" in text and "\\|\\|spoiler\\|\\|" in text and "\\[link](" in text


async def test_a_failing_core_still_answers_the_member(fake: FakeDiscord, core: Casebook, running: Running,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    post = await post_dilemma(fake)

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(core, "vote", broken)
    answer = await (await fake.click(vote_id(post, "A"), user="ana")).wait()
    assert answer.ephemeral and "went wrong" in answer.text()
    monkeypatch.setattr(core, "handle", broken)
    topics = await (await fake.slash("topics", user="ana")).wait()
    assert topics.ephemeral and "went wrong" in topics.text()
