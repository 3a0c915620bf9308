"""The daily loop end to end: the real discord.py client against the local Discord, the real core and store."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.service import Casebook
from tests.discord.conftest import Running
from tests.fakes.discord_server import ADMIN_PERMISSIONS, EPHEMERAL, FakeDiscord


async def post_dilemma(fake: FakeDiscord, scenario: str | None = None) -> dict[str, Any]:
    options = {"scenario": scenario} if scenario else {}
    answer = await (await fake.slash("dilemma post", options, user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert answer.ephemeral and "Posted" in answer.text(), answer.text()
    posts = [m for m in fake.channel_messages() if m["components"]]
    return posts[-1]


def vote_id(message: dict[str, Any], letter: str) -> str:
    return str(next(c["custom_id"] for row in message["components"] for c in row["components"]
                    if c["custom_id"].endswith(":" + letter)))


async def test_commands_are_synced_once(fake: FakeDiscord, running: Running) -> None:
    assert fake.command_names() == ["dilemma", "help", "leaderboard", "privacy", "schedule", "stats", "topics"]
    assert fake.command_puts == 1
    await asyncio.wait_for(running.adapter.ready.wait(), 5)
    subcommands = {o["name"] for o in fake.command("schedule")["options"]}
    assert subcommands == {"set", "show", "pause", "resume", "recap", "scoring", "admins"}


async def test_post_vote_change_reveal_thread(fake: FakeDiscord, core: Casebook, running: Running) -> None:
    dilemma = core.bank.dilemmas[sorted(core.bank.dilemmas)[0]]
    post = await post_dilemma(fake, dilemma.id)
    embed = post["embeds"][0]
    assert dilemma.question[:40] in str(embed)
    letters = [c["label"] for row in post["components"] for c in row["components"]]
    assert letters == list(dilemma.letters)
    best = dilemma.best_letter
    wrong = next(letter for letter in dilemma.letters if letter != best)

    first = await (await fake.click(vote_id(post, wrong), user="ana")).wait()
    assert first.ephemeral and f"You chose **{wrong}**" in first.text()
    for name in ("ben", "chloe"):
        answer = await (await fake.click(vote_id(post, best), user=name)).wait()
        assert f"You chose **{best}**" in answer.text()
    changed = await (await fake.click(vote_id(post, best), user="ana")).wait()
    assert f"changed from {wrong}" in changed.text()
    # the count is edited into the post (coalesced by the core), never the split
    await fake.until(lambda: "3 votes" in str(fake.messages[int(post["id"])]["embeds"]))
    assert "█" not in str(fake.messages[int(post["id"])]["embeds"])

    revealed = await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert revealed.ephemeral and "Revealed" in revealed.text()
    edited = fake.messages[int(post["id"])]
    assert all(button["disabled"] for row in edited["components"] for button in row["components"])
    text = str(edited["embeds"])
    assert "best answer" in text and "100%" in text
    thread = fake.threads[int(post["id"])]
    assert thread["name"].startswith("Discuss:")
    prompt = fake.channel_messages(int(thread["id"]))
    assert len(prompt) == 1 and "Talk it through" in str(prompt[0]["embeds"])

    board = await (await fake.slash("leaderboard", user="ben")).wait()
    assert not board.ephemeral
    assert "ben" in board.text() and "ana" in board.text() and "chloe" in board.text()


async def test_a_click_after_the_reveal_is_refused(fake: FakeDiscord, core: Casebook, running: Running) -> None:
    post = await post_dilemma(fake)
    stale = fake.make_click(vote_id(post, "A"), user="late")  # the member's client still shows the open post
    await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    await fake.send_many([stale])
    answer = await stale.wait()
    assert answer.ephemeral and "closed" in answer.text()
    assert answer.message["flags"] & EPHEMERAL
