"""The slash commands of PRODUCT.md's table, with typed options, choices and autocomplete.

Each command builds a core command value and hands it to the adapter; arguments a member typed are checked with
the core's own parsers (bot/schedule.py), and a wrong one is answered privately with what is accepted.
Admin-only subcommands live in groups that also hold member subcommands (/schedule show, /dilemma practice),
so `default_member_permissions` cannot guard them: the member's Manage Server permission is read from the
interaction when the command runs and passed to the core, which refuses non-admins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from bot import commands
from bot.cards import Notice, Period
from bot.schedule import (
    ScheduleError,
    ScheduleRequest,
    parse_clock,
    parse_days,
    parse_reveal,
    parse_topics,
    parse_zone,
    zone_suggestions,
)
from bot.store.records import ALL_DAYS

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

AUTOCOMPLETE_MAX = 25
DAY_SUGGESTIONS = ("daily", "weekdays", "weekends", "mon-fri", "mon,wed,fri", "tue,thu", "sun-thu")


def build_tree(client: discord.Client, adapter: DiscordAdapter) -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    core = adapter.core

    async def topic_choices(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        found = [(slug, title) for slug, title in sorted(core.bank.topics.items())
                 if needle in slug or needle in title.lower()]
        return [app_commands.Choice(name=_choice_name(title), value=slug) for slug, title in found][:AUTOCOMPLETE_MAX]

    async def topic_list_choices(interaction: discord.Interaction[Any], current: str
                                 ) -> list[app_commands.Choice[str]]:
        """Comma-separated topics: complete the last one, keep the ones already typed."""
        done, _, last = current.rpartition(",")
        prefix = f"{done}," if done else ""
        needle = last.strip().lower()
        found = [slug for slug in sorted(core.bank.topics) if needle in slug and slug not in done.split(",")]
        values = [prefix + slug for slug in found if len(prefix + slug) <= 100]
        return [app_commands.Choice(name=_choice_name(value), value=value) for value in values][:AUTOCOMPLETE_MAX]

    async def scenario_choices(interaction: discord.Interaction[Any], current: str
                               ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        found = [d for d in sorted(core.bank.dilemmas.values(), key=lambda d: d.id)
                 if needle in d.id or needle in d.title.lower()]
        return [app_commands.Choice(name=_choice_name(f"{d.title} ({d.id})"), value=d.id)
                for d in found[:AUTOCOMPLETE_MAX]]

    async def zone_choices(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in zone_suggestions(current, AUTOCOMPLETE_MAX)]

    async def day_choices(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        values = [d for d in (*DAY_SUGGESTIONS, *ALL_DAYS) if needle in d] or ([needle] if needle else [])
        return [app_commands.Choice(name=value, value=value) for value in values[:AUTOCOMPLETE_MAX]]

    async def refuse(interaction: discord.Interaction[Any], text: str) -> None:
        await adapter.answer(interaction, _card(Notice.error(text)), public=False)

    # /dilemma post|reveal (admins) and practice|review (anyone): the group mixes both, so no
    # default_member_permissions; the core refuses non-admins for post and reveal.
    dilemma = app_commands.Group(name="dilemma", description="The daily ethics dilemma, and private practice",
                                 guild_only=True)

    @dilemma.command(name="post", description="Post a dilemma now (admin): a given scenario, a topic, or the next")
    @app_commands.describe(scenario="a scenario id (start typing its title)", topic="a topic to draw from")
    @app_commands.autocomplete(scenario=scenario_choices, topic=topic_choices)
    async def dilemma_post(interaction: discord.Interaction[Any], scenario: str | None = None,
                           topic: str | None = None) -> None:
        if scenario and topic:
            await refuse(interaction, "Give a scenario or a topic, not both.")
            return
        await adapter.run_command(interaction, commands.Post((scenario or topic or "").strip() or None))

    @dilemma.command(name="reveal", description="Reveal the open dilemma now (admin)")
    async def dilemma_reveal(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Reveal())

    @dilemma.command(name="practice", description="Practise privately: answer and reasoning shown only to you")
    @app_commands.describe(topic="a topic to practise (default: any)")
    @app_commands.autocomplete(topic=topic_choices)
    async def dilemma_practice(interaction: discord.Interaction[Any], topic: str | None = None) -> None:
        if topic and topic.strip() not in core.bank.topics:
            await refuse(interaction, f"'{topic}' is not a topic: start typing and pick one from the list.")
            return
        await adapter.run_command(interaction, commands.Practice(topic.strip() if topic else None))

    @dilemma.command(name="review", description="Review your due dilemmas (spaced repetition), privately")
    async def dilemma_review(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Review())

    tree.add_command(dilemma)

    @tree.command(name="leaderboard", description="This channel's leaderboard")
    @app_commands.describe(period="week (default), month or all time")
    @app_commands.guild_only()
    async def leaderboard(interaction: discord.Interaction[Any],
                          period: Literal["week", "month", "all"] = "week") -> None:
        await adapter.run_command(interaction, commands.Leaderboard(Period(period)), public=True)

    @tree.command(name="stats", description="Your stats by topic against the group, or a member's")
    @app_commands.describe(member="whose stats (default: yours)")
    @app_commands.guild_only()
    async def stats(interaction: discord.Interaction[Any], member: discord.User | None = None) -> None:
        await adapter.run_command(interaction, commands.Stats(None if member is None else str(member.id)))

    @tree.command(name="topics", description="Topics and how many dilemmas each has")
    async def topics(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Topics())

    @tree.command(name="help", description="What Casebook does and its commands")
    async def help_command(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Help())

    schedule = app_commands.Group(name="schedule", description="This channel's daily post and reveal",
                                  guild_only=True)

    @schedule.command(name="set", description="Set the daily post and reveal (admin)")
    @app_commands.describe(
        post_time="24-hour post time, like 09:00", reveal="reveal time like 20:00, or a duration like 11h",
        timezone="IANA time zone, like America/Chicago", days="days like mon-fri or daily (default daily)",
        topics="topic ids, comma-separated (default every topic)",
        difficulty="keep to one difficulty (default: rotate through the week)")
    @app_commands.autocomplete(timezone=zone_choices, days=day_choices, topics=topic_list_choices)
    async def schedule_set(interaction: discord.Interaction[Any],
                           post_time: app_commands.Range[str, 1, 10], reveal: app_commands.Range[str, 1, 10],
                           timezone: app_commands.Range[str, 1, 64], days: app_commands.Range[str, 1, 40] = "daily",
                           topics: app_commands.Range[str, 1, 400] | None = None,
                           difficulty: Literal[1, 2, 3] | None = None) -> None:
        try:
            post_at = parse_clock(post_time)
            reveal_time, reveal_minutes = parse_reveal(reveal, post_at)
            request = ScheduleRequest(f"{post_at:%H:%M}", reveal_time, reveal_minutes, parse_zone(timezone),
                                      parse_days(days), parse_topics(topics or "", core.bank.topics), difficulty)
        except ScheduleError as error:
            await refuse(interaction, str(error))
            return
        await adapter.run_command(interaction, commands.ScheduleSet(request))

    @schedule.command(name="show", description="Show this channel's schedule")
    async def schedule_show(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.ScheduleShow())

    @schedule.command(name="pause", description="Pause the daily post (admin)")
    async def schedule_pause(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.SchedulePause())

    @schedule.command(name="resume", description="Resume the daily post (admin)")
    async def schedule_resume(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.ScheduleResume())

    @schedule.command(name="recap", description="Turn the weekly recap on or off (admin)")
    @app_commands.describe(enabled="post a recap after the last reveal of each week")
    async def schedule_recap(interaction: discord.Interaction[Any], enabled: bool) -> None:
        await adapter.run_command(interaction, commands.ScheduleRecap(enabled))

    @schedule.command(name="scoring", description="This channel's scoring (admin); only what you give changes")
    @app_commands.describe(best="points for the best answer (default 10)",
                           participation="points for taking part (default 1)",
                           streak="bonus per consecutive correct day (default 1)",
                           cap="largest streak bonus (default 5)")
    async def schedule_scoring(interaction: discord.Interaction[Any],
                               best: app_commands.Range[int, 0, 1000] | None = None,
                               participation: app_commands.Range[int, 0, 1000] | None = None,
                               streak: app_commands.Range[int, 0, 1000] | None = None,
                               cap: app_commands.Range[int, 0, 1000] | None = None) -> None:
        given = {"best": best, "part": participation, "streak": streak, "cap": cap}
        words = [f"{name}={value}" for name, value in given.items() if value is not None]
        if not words:
            await refuse(interaction, "Give at least one of best, participation, streak or cap.")
            return
        await adapter.run_command(interaction, commands.ScheduleScoring(commands.parse_scoring(words)))

    @schedule.command(name="admins", description="Add or remove one of this channel's own admins (admin)")
    @app_commands.describe(action="add or remove", member="the member")
    async def schedule_admins(interaction: discord.Interaction[Any], action: Literal["add", "remove"],
                              member: discord.User) -> None:
        await adapter.run_command(interaction, commands.ChannelAdmin(str(member.id), action == "add"))

    tree.add_command(schedule)

    privacy = app_commands.Group(name="privacy", description="Your privacy on Casebook", guild_only=True)

    @privacy.command(name="hide", description="Hide your name from leaderboards (your points still count)")
    async def privacy_hide(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Privacy("hide"))

    @privacy.command(name="show", description="Show your name on leaderboards again")
    async def privacy_show(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Privacy("show"))

    @privacy.command(name="export", description="Get everything Casebook stores about you, as a JSON file")
    async def privacy_export(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Privacy("export"))

    @privacy.command(name="forget", description="Delete everything Casebook stores about you (asks first)")
    async def privacy_forget(interaction: discord.Interaction[Any]) -> None:
        await adapter.run_command(interaction, commands.Privacy("forget"))

    tree.add_command(privacy)
    return tree


def _choice_name(text: str) -> str:
    return text if len(text) <= 100 else text[:99] + "…"


def _card(card: Notice) -> Any:
    async def make() -> Notice:
        return card

    return make
