"""The daily loop through the real Bolt app, in Socket Mode and HTTP mode: post, vote, reveal, thread."""

from __future__ import annotations

import copy

import pytest

from tests.fakes.slack_server import message_text
from tests.slack.conftest import SlackHarness


def _buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_post_vote_change_reveal_and_thread(slack: SlackHarness) -> None:
    fake = slack.fake
    message = await slack.post("U0ADMIN", "subpoena-from-ex-spouse-attorney")
    buttons = _buttons(message.blocks)
    post_id = int(buttons[0]["value"].split(":")[0])
    assert [b["action_id"] for b in buttons] == [f"casebook_vote_{b['value'][-1]}" for b in buttons]
    assert all(b["value"] == f"{post_id}:{b['text']['text']}" for b in buttons)
    assert message.blocks[0]["type"] == "header"
    text = message_text(message)
    assert "0 votes" in text and "Closes" in text

    first = await slack.vote("U0MEMBER1", message, "B")
    assert "You chose B; you can change it until" in first
    changed = await slack.vote("U0MEMBER1", message, "A")
    assert "from B to A" in changed
    await slack.vote("U0MEMBER2", message, "A")
    await slack.vote("U0MEMBER3", message, "C")

    # the live count is edited in (coalesced by the core), never the split
    await fake.wait_for(lambda: "3 votes" in message_text(message))
    assert "%" not in message_text(message)

    before_reveal = copy.deepcopy(message)
    reveal = await slack.command_reply("U0ADMIN", "reveal")
    assert "Revealed" in reveal
    await fake.wait_for(lambda: bool(fake.thread_replies("C0STUDY", message.ts)))
    revealed = message_text(message)
    assert _buttons(message.blocks) == []
    assert "Best answer" in revealed and "Takeaway" in revealed and "Code sections" in revealed
    assert "67%" in revealed and "33%" in revealed
    thread = fake.thread_replies("C0STUDY", message.ts)
    assert len(thread) == 1 and "Discuss" in message_text(thread[0])

    # a click that was on its way before the reveal is refused politely
    late = await slack.vote("U0MEMBER4", before_reveal, "A")
    assert "closed" in late


async def test_a_member_cannot_post_or_reveal(slack: SlackHarness) -> None:
    refused = await slack.command_reply("U0MEMBER1", "post")
    assert "Only an admin" in refused
    assert slack.fake.channel_messages("C0STUDY") == []
    guest = await slack.command_reply("U0GUEST", "post")
    assert "Only an admin" in guest


async def test_owner_is_admin_and_users_info_is_cached(slack: SlackHarness) -> None:
    await slack.post("U0OWNER")
    await slack.command_reply("U0OWNER", "reveal")
    await slack.post("U0OWNER")
    looked_up = [c["user"] for c in slack.fake.calls_of("users.info")]
    assert looked_up == ["U0OWNER"]


async def test_a_card_the_adapter_cannot_show_is_logged_loudly_not_sent_blank(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unknown:
        pass

    async def handle(*_: object) -> object:
        return Unknown()

    monkeypatch.setattr(slack.core, "handle", handle)
    reply = await slack.command_reply("U0MEMBER1", "topics")
    assert "Something went wrong" in reply
    assert any("cannot show Unknown" in record.getMessage() and record.exc_info for record in caplog.records)
