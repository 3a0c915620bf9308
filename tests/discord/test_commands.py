"""Every slash command through the real discord.py tree: typed options, choices, autocomplete, admin checks."""

from __future__ import annotations

from bot.keys import ChannelKey
from bot.service import Casebook
from tests.discord.conftest import Running
from tests.discord.test_loop import post_dilemma, vote_id
from tests.fakes.discord_server import ADMIN_PERMISSIONS, FakeDiscord


async def test_schedule_set_by_an_admin_and_refused_for_a_member(fake: FakeDiscord, core: Casebook,
                                                                 running: Running) -> None:
    options = {"post_time": "09:00", "reveal": "20:00", "timezone": "America/Chicago", "days": "mon-fri",
               "topics": "boundaries,minors"}
    refused = await (await fake.slash("schedule set", options, user="member")).wait()
    assert refused.ephemeral and "Only an admin" in refused.text()
    channel = ChannelKey("discord", str(fake.guild_id), str(fake.channel_id))
    assert await core.store.get_channel(channel) is None

    done = await (await fake.slash("schedule set", options, user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert done.ephemeral
    text = done.text()
    assert "09:00" in text and "America/Chicago" in text and "20:00" in text and "mon" in text
    shown = await (await fake.slash("schedule show", user="member")).wait()
    assert "09:00" in shown.text()
    paused = await (await fake.slash("schedule pause", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert "paused" in paused.text().lower()
    not_yours = await (await fake.slash("schedule resume", user="member")).wait()
    assert "Only an admin" in not_yours.text()
    resumed = await (await fake.slash("schedule resume", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert "(paused)" not in resumed.text()


async def test_bad_schedule_arguments_say_what_is_accepted(fake: FakeDiscord, core: Casebook,
                                                           running: Running) -> None:
    cases = {
        ("9am", "20:00", "America/Chicago", "daily"): "24-hour time",
        ("09:00", "08:00", "America/Chicago", "daily"): "must come after",
        ("09:00", "20:00", "Mars/Olympus", "daily"): "time zone",
        ("09:00", "20:00", "UTC", "someday"): "days like",
    }
    for (post, reveal, zone, days), expected in cases.items():
        answer = await (await fake.slash("schedule set", {"post_time": post, "reveal": reveal, "timezone": zone,
                                                          "days": days},
                                         user="admin", permissions=ADMIN_PERMISSIONS)).wait()
        assert answer.ephemeral and expected in answer.text(), answer.text()
    unknown = await (await fake.slash("schedule set", {"post_time": "09:00", "reveal": "2h", "timezone": "UTC",
                                                       "topics": "astrology"},
                                      user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert "Unknown topic" in unknown.text()
    shown = await (await fake.slash("schedule show", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert "No schedule" in shown.text()


async def test_post_is_for_admins_and_checks_its_target(fake: FakeDiscord, running: Running) -> None:
    refused = await (await fake.slash("dilemma post", user="member")).wait()
    assert "Only an admin" in refused.text()
    unknown = await (await fake.slash("dilemma post", {"scenario": "no-such-dilemma"}, user="admin",
                                      permissions=ADMIN_PERMISSIONS)).wait()
    assert unknown.ephemeral and "'no-such-dilemma'" in unknown.text()
    both = await (await fake.slash("dilemma post", {"scenario": "x", "topic": "minors"}, user="admin",
                                   permissions=ADMIN_PERMISSIONS)).wait()
    assert "not both" in both.text()
    nothing = await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    assert "no open dilemma" in nothing.text()
    assert not [m for m in fake.channel_messages() if m["components"]]
    by_topic = await (await fake.slash("dilemma post", {"topic": "minors"}, user="admin",
                                       permissions=ADMIN_PERMISSIONS)).wait()
    assert "Posted" in by_topic.text()
    assert "Minors" in str(fake.channel_messages()[-1]["embeds"]) or "minors" in str(fake.channel_messages()[-1])


async def test_autocomplete_for_zones_topics_and_scenarios(fake: FakeDiscord, core: Casebook,
                                                           running: Running) -> None:
    zones = (await (await fake.autocomplete("schedule set", {"timezone": "america/chi"}, "timezone",
                                            user="admin", permissions=ADMIN_PERMISSIONS)).wait()).choices
    assert zones[0]["value"] == "America/Chicago"
    topics = (await (await fake.autocomplete("dilemma post", {"topic": "bound"}, "topic", user="admin",
                                             permissions=ADMIN_PERMISSIONS)).wait()).choices
    assert [c["value"] for c in topics] == ["boundaries"]
    some = sorted(core.bank.dilemmas)[3]
    scenarios = (await (await fake.autocomplete("dilemma post", {"scenario": some[:12]}, "scenario", user="admin",
                                                permissions=ADMIN_PERMISSIONS)).wait()).choices
    assert some in [c["value"] for c in scenarios] and len(scenarios) <= 25
    many = (await (await fake.autocomplete("dilemma post", {"scenario": ""}, "scenario", user="a")).wait()).choices
    assert len(many) == 25
    listed = (await (await fake.autocomplete("schedule set", {"topics": "minors,bou"}, "topics", user="a")).wait()
              ).choices
    assert [c["value"] for c in listed] == ["minors,boundaries"]
    days = (await (await fake.autocomplete("schedule set", {"days": "week"}, "days", user="a")).wait()).choices
    assert {"weekdays", "weekends"} <= {c["value"] for c in days}


async def test_topics_help_stats_and_privacy(fake: FakeDiscord, core: Casebook, running: Running) -> None:
    topics = await (await fake.slash("topics", user="member")).wait()
    assert topics.ephemeral and "Boundaries" in topics.text() and str(len(core.bank.dilemmas)) in topics.text()
    shown = await (await fake.slash("help", user="member")).wait()
    assert all(command in shown.text() for command in ("/dilemma post", "/schedule set", "/dilemma practice",
                                                        "/dilemma review", "/privacy"))

    nothing = await (await fake.slash("stats", user="dana")).wait()
    assert "not answered" in nothing.text()
    post = await post_dilemma(fake)
    best = next(c for c in core.bank.dilemmas.values() if c.title in str(post["embeds"])).best_letter
    await (await fake.click(vote_id(post, best), user="dana")).wait()
    await (await fake.click(vote_id(post, "A" if best != "A" else "B"), user="eli")).wait()
    await (await fake.slash("dilemma reveal", user="admin", permissions=ADMIN_PERMISSIONS)).wait()
    mine = await (await fake.slash("stats", user="dana")).wait()
    assert mine.ephemeral and "1/1" in mine.text() and "█" in mine.text()
    (chart,) = mine.message["attachments"]
    assert chart["filename"] == "casebook-stats.png"
    assert fake.files[int(chart["id"])].startswith(b"\x89PNG\r\n\x1a\n")
    assert mine.message["embeds"][0]["image"]["url"] == "attachment://casebook-stats.png"
    theirs = await (await fake.slash("stats", {"member": fake.user("eli")}, user="dana")).wait()
    assert "eli" in theirs.text() and "0/1" in theirs.text()

    hidden = await (await fake.slash("privacy hide", user="eli")).wait()
    assert hidden.ephemeral and "hidden" in hidden.text()
    board = await (await fake.slash("leaderboard", {"period": "all"}, user="dana")).wait()
    assert "dana" in board.text() and "eli" not in board.text() and "private" in board.text()
    private = await (await fake.slash("stats", {"member": fake.user("eli")}, user="dana")).wait()
    assert "private" in private.text()
    await (await fake.slash("privacy show", user="eli")).wait()
    board = await (await fake.slash("leaderboard", {"period": "month"}, user="dana")).wait()
    assert "eli" in board.text()


async def test_admin_sets_recap_and_scoring(fake: FakeDiscord, core: Casebook, running: Running) -> None:
    refused = await (await fake.slash("schedule recap", {"enabled": False}, user="member")).wait()
    assert refused.ephemeral and "admin" in refused.text().lower()
    saved = await (await fake.slash("schedule scoring", {"best": 7, "cap": 3}, user="admin",
                                    permissions=ADMIN_PERMISSIONS)).wait()
    assert saved.ephemeral and "7 for the best answer" in saved.text() and "+3" in saved.text()
    await (await fake.slash("schedule recap", {"enabled": False}, user="admin",
                            permissions=ADMIN_PERMISSIONS)).wait()
    channel = await core.store.get_channel(ChannelKey("discord", str(fake.guild_id), str(fake.channel_id)))
    assert channel is not None and channel.settings["recap"] is False
    assert channel.settings["scoring"] == {"best_points": 7, "streak_cap": 3}


async def test_a_channel_admin_added_on_discord_may_post(fake: FakeDiscord, core: Casebook, running: Running) -> None:
    refused = await (await fake.slash("dilemma post", user="helper")).wait()
    assert "admin" in refused.text().lower()
    await (await fake.slash("schedule admins", {"action": "add", "member": fake.user("helper")}, user="admin",
                            permissions=ADMIN_PERMISSIONS)).wait()
    posted = await (await fake.slash("dilemma post", user="helper")).wait()
    assert "Posted" in posted.text()
