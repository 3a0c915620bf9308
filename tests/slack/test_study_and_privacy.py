"""Private practice and review with their own buttons, and privacy export/forget, through Bolt in both modes."""

from __future__ import annotations

import json

from tests.slack.conftest import SlackHarness


async def test_practice_question_and_private_answer(slack: SlackHarness) -> None:
    fake = slack.fake
    question = await slack.command_reply("U0MEMBER1", "practice")
    assert "Practice:" in question and "Only you see this" in question
    reply = fake.replies_to("U0MEMBER1")[-1]
    asked = fake.ephemeral(reply)
    answer_buttons = [e for b in asked.blocks if b["type"] == "actions" for e in b["elements"]]
    assert answer_buttons and all(b["action_id"].startswith("casebook_answer_") for b in answer_buttons)
    assert all(b["value"].startswith("practice:") for b in answer_buttons)
    dilemma_id = answer_buttons[0]["value"].split(":")[1]
    best = slack.bank.dilemmas[dilemma_id].best_letter

    before = len(fake.replies_to("U0MEMBER1"))
    ack = await slack.send_action(fake.block_action("U0MEMBER1", asked, f"casebook_answer_{best}"))
    assert ack.status == 200
    await fake.wait_for(lambda: len(fake.replies_to("U0MEMBER1")) > before)
    result = fake.replies_to("U0MEMBER1")[-1]
    assert result.payload["replace_original"] is True  # the question turns into its answer, still private
    assert f"You chose {best}: ✅ the best answer" in result.all_text and "Takeaway" in result.all_text
    assert fake.channel_messages("C0STUDY") == []  # nothing public
    board = await slack.command_reply("U0MEMBER2", "leaderboard all")
    assert "member1" not in board  # practice never changes the leaderboard


async def test_practice_by_topic_and_review(slack: SlackHarness) -> None:
    topic = next(iter(slack.bank.topics))
    question = await slack.command_reply("U0MEMBER1", f"practice {topic}")
    assert "Practice:" in question
    review = await slack.command_reply("U0MEMBER1", "review")
    assert review.strip()  # nothing due yet: a polite notice, or a due card
    unknown = await slack.command_reply("U0MEMBER1", "practice no-such-topic")
    assert "⚠️" in unknown


async def test_export_arrives_as_a_file_in_a_direct_message(slack: SlackHarness) -> None:
    fake = slack.fake
    message = await slack.post()
    await slack.vote("U0MEMBER1", message, "A")
    reply = await slack.command_reply("U0MEMBER1", "privacy export")
    assert "direct messages" in reply
    [exported] = [f for f in fake.files.values() if f["channel"] == "D0MEMBER1"]
    assert exported["filename"].endswith(".json")
    data = json.loads(exported["content"])
    assert "U0MEMBER1" in json.dumps(data)
    assert "U0MEMBER2" not in json.dumps(data)


async def test_forget_asks_then_deletes_with_the_button(slack: SlackHarness) -> None:
    fake = slack.fake
    message = await slack.post()
    await slack.vote("U0MEMBER1", message, "A")
    prompt = await slack.command_reply("U0MEMBER1", "privacy forget")
    assert "for good" in prompt and "privacy forget confirm" in prompt
    asking = fake.ephemeral(fake.replies_to("U0MEMBER1")[-1])
    before = len(fake.replies_to("U0MEMBER1"))
    ack = await slack.send_action(fake.block_action("U0MEMBER1", asking, "casebook_forget_confirm"))
    assert ack.status == 200
    await fake.wait_for(lambda: len(fake.replies_to("U0MEMBER1")) > before)
    assert "Forgotten" in fake.replies_to("U0MEMBER1")[-1].all_text
    assert "stores nothing about you" in await slack.command_reply("U0MEMBER1", "privacy export")


async def test_forget_confirm_without_asking_is_refused(slack: SlackHarness) -> None:
    refused = await slack.command_reply("U0MEMBER1", "privacy forget confirm")
    assert "Ask first" in refused
