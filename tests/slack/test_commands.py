"""Every `/casebook` action the core has, with its refusals, through the real Bolt app in both modes."""

from __future__ import annotations

from pathlib import Path

from bot.scenarios import Bank
from bot.service import Casebook
from tests.fakes.clock import FakeClock
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import SlackHarness


async def test_schedule_set_by_an_admin_and_refused_for_a_member(slack: SlackHarness) -> None:
    refused = await slack.command_reply("U0MEMBER1", "schedule set 09:00 20:00 America/Chicago mon-fri")
    assert "Only an admin" in refused
    nothing = await slack.command_reply("U0MEMBER1", "schedule show")
    assert "No schedule is set" in nothing

    accepted = await slack.command_reply("U0ADMIN", "schedule set 09:00 20:00 America/Chicago mon-fri")
    assert "Posts at *09:00*" in accepted and "America/Chicago" in accepted and "mon, tue" in accepted
    shown = await slack.command_reply("U0MEMBER1", "schedule show")
    assert "Posts at *09:00*" in shown and "active" in shown

    assert "Only an admin" in await slack.command_reply("U0MEMBER1", "schedule pause")
    assert "paused" in await slack.command_reply("U0ADMIN", "schedule pause")
    assert "paused" in await slack.command_reply("U0MEMBER2", "schedule show")
    assert "active" in await slack.command_reply("U0ADMIN", "schedule resume")


async def test_bad_arguments_get_the_usage_privately_and_change_nothing(slack: SlackHarness) -> None:
    fake = slack.fake
    cases = {
        "schedule set 25:00 20:00 America/Chicago": "is not a time",
        "schedule set 09:00 20:00 Mars/Olympus": "is not a time zone",
        "schedule set 09:00 20:00 America/Chicago someday": "",
        "schedule frobnicate": "is not a schedule action",
        "leaderboard forever": "is not a period",
        "stats bob": "is not a member",
        "privacy maybe": "privacy hide",
        "practice boundaries twice": "Too many words",
        "review everything": "Too many words",
        "export everything": "is not a Casebook command",
        "dance": "is not a Casebook command",
        "reveal now please": "Too many words",
    }
    for text, expected in cases.items():
        ack = await slack.command("U0ADMIN", text)
        body = ack.json()
        assert "⚠️" in body["text"], text
        assert expected in body["text"], (text, body["text"])
        assert body["response_type"] == "ephemeral"
    assert fake.calls_of("chat.postMessage") == []
    assert "No schedule is set" in await slack.command_reply("U0ADMIN", "schedule show")


async def test_help_and_topics(slack: SlackHarness) -> None:
    help_text = await slack.command_reply("U0MEMBER1", "help")
    assert "/casebook schedule set" in help_text and "(admin)" in help_text
    empty = await slack.command_reply("U0MEMBER1", "")
    assert "/casebook post" in empty
    topics = await slack.command_reply("U0MEMBER1", "topics")
    for slug, _title, count in slack.core.topics().rows:
        assert f"`{slug}`): {count}" in topics


async def test_leaderboard_stats_and_privacy(slack: SlackHarness) -> None:
    fake = slack.fake
    message = await slack.post("U0ADMIN", "subpoena-from-ex-spouse-attorney")
    best = slack.bank.dilemmas["subpoena-from-ex-spouse-attorney"].best_letter
    wrong = next(letter for letter in "ABCDE" if letter != best)
    await slack.vote("U0MEMBER1", message, best)
    await slack.vote("U0MEMBER2", message, best)
    await slack.vote("U0MEMBER3", message, wrong)
    await slack.command_reply("U0ADMIN", "reveal")
    await fake.wait_for(lambda: bool(fake.thread_replies("C0STUDY", message.ts)))

    board = await slack.command_reply("U0MEMBER3", "leaderboard")
    assert "Leaderboard: week" in board
    assert board.index("member1") < board.index("member3") and "member2" in board
    assert "*11* pts" in board and "*1* pts" in board
    assert "all time" in await slack.command_reply("U0MEMBER3", "leaderboard all")

    mine = await slack.command_reply("U0MEMBER1", "stats")
    assert "*11* points" in mine and "1/1 best" in mine
    [chart] = [f for f in slack.fake.files.values() if f["filename"] == "casebook-stats.png"]
    assert chart["channel"] == "D0MEMBER1" and chart["content"].startswith(b"\x89PNG\r\n\x1a\n")
    theirs = await slack.command_reply("U0MEMBER1", "stats <@U0MEMBER3|member3>")
    assert "member3" in theirs and "0/1 best" in theirs
    never = await slack.command_reply("U0MEMBER1", "stats <@U0MEMBER5>")
    assert "not answered" in never

    assert "hidden" in await slack.command_reply("U0MEMBER1", "privacy hide")
    hidden = await slack.command_reply("U0MEMBER3", "leaderboard")
    assert "member1" not in hidden and "a member who hides" in hidden
    assert "keeps their stats private" in await slack.command_reply("U0MEMBER3", "stats <@U0MEMBER1|member1>")
    assert "again" in await slack.command_reply("U0MEMBER1", "privacy show")
    assert "member1" in await slack.command_reply("U0MEMBER3", "leaderboard")


async def test_post_by_topic_and_unknown_target(slack: SlackHarness) -> None:
    topic = next(iter(slack.bank.topics))
    message = await slack.post("U0ADMIN", topic)
    post_id = int(message.blocks[-1]["elements"][0]["value"].split(":")[0])
    assert slack.bank.dilemmas[(await slack.core.store.get_post(post_id)).dilemma_id].topic == topic  # type: ignore[union-attr]
    unknown = await slack.command_reply("U0ADMIN", "post no-such-thing")
    assert "⚠️" in unknown and "no-such-thing" in unknown


async def test_admins_listed_in_settings(fake_slack: FakeSlack, mode: str, core: Casebook, bank: Bank,
                                         clock: FakeClock, tmp_path: Path) -> None:
    harness = SlackHarness(fake_slack, mode, core, tmp_path / "casebook.sqlite3", bank, clock,
                           casebook_slack_admins="U0MEMBER5")
    await harness.start()
    try:
        await harness.post("U0MEMBER5")
        assert fake_slack.calls_of("users.info") == []
        assert "Only an admin" in await harness.command_reply("U0MEMBER4", "post")
    finally:
        await harness.close()


async def test_admin_sets_recap_and_scoring_in_words(slack: SlackHarness) -> None:
    refused = await slack.command_reply("U0MEMBER1", "schedule recap off")
    assert "admin" in refused.lower()
    saved = await slack.command_reply("U0ADMIN", "schedule scoring best=7 cap=3")
    assert "7 for the best answer" in saved and "+3" in saved
    assert "schedule recap on|off" in await slack.command_reply("U0ADMIN", "schedule recap maybe")


async def test_a_channel_admin_added_on_slack_may_post(slack: SlackHarness) -> None:
    assert "Only an admin" in await slack.command_reply("U0MEMBER2", "post")
    added = await slack.command_reply("U0ADMIN", "schedule admins add <@U0MEMBER2|member2>")
    assert "can now run admin commands" in added
    assert "Posted" in await slack.command_reply("U0MEMBER2", "post")
