"""Property tests for the pure rules: scoring, streaks, command parsing and text splitting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import commands
from bot.cards import Period
from bot.schedule import ScheduleError, parse_clock, parse_days, parse_reveal, parse_schedule, parse_zone
from bot.scoring import ScoringRules, Streak, award, next_streak
from bot.text import CONTINUED, chunk_words, shorten

RULES = ScoringRules()


@given(st.lists(st.booleans(), max_size=60))
def test_points_follow_the_documented_rules(answers: list[bool]) -> None:
    streak = Streak()
    day = date(2026, 1, 1)
    previous: date | None = None
    run = 0
    for correct in answers:
        streak = next_streak(streak, correct, day, previous)
        points = award(RULES, correct, streak)
        run = run + 1 if correct else 0
        assert streak.current == run
        expected = 11 + min(run - 1, 5) if correct else 1
        assert points.points == expected
        previous, day = day, day + timedelta(days=1)


@given(st.integers(min_value=0, max_value=30))
def test_a_second_post_on_the_same_day_neither_grows_nor_breaks_a_streak(current: int) -> None:
    today = date(2026, 5, 5)
    streak = Streak(current, current, today)
    assert next_streak(streak, True, today, date(2026, 5, 4)) == streak
    assert next_streak(streak, False, today, date(2026, 5, 4)) == streak


def test_channel_scoring_can_be_configured() -> None:
    rules = ScoringRules.from_settings({"scoring": {"best_points": 5, "participation_points": 0, "streak_cap": 2}})
    assert award(rules, True, Streak(10, 10, None)).points == 5 + 2
    with pytest.raises(ValueError):
        ScoringRules.from_settings({"scoring": {"best_points": -1}})


@given(st.text(max_size=400), st.integers(min_value=2, max_value=80))
def test_chunks_respect_the_limit_and_keep_every_word(text: str, limit: int) -> None:
    chunks = chunk_words(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    rejoined = " ".join(chunks).replace(CONTINUED + " ", "").replace(CONTINUED, "")
    assert rejoined.split() == text.split(" ") or "".join(rejoined.split()) == "".join(text.split())


@given(st.text(min_size=1, max_size=300), st.integers(min_value=2, max_value=120))
def test_shorten_never_exceeds_and_marks_cuts(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert len(short) <= limit
    assert short == text or short.endswith(CONTINUED)


@given(st.text(max_size=60))
def test_the_parser_never_crashes_on_any_text(text: str) -> None:
    try:
        commands.parse_command(text, ["group-work"])
    except commands.CommandError as error:
        assert str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", commands.Help()),
        ("post", commands.Post()),
        ("post group-work", commands.Post("group-work")),
        ("leaderboard month", commands.Leaderboard(Period.MONTH)),
        ("LEADERBOARD", commands.Leaderboard(Period.WEEK)),
        ("stats <@U123|amara>", commands.Stats("U123")),
        ("stats <@!4567>", commands.Stats("4567")),
        ("privacy hide", commands.Privacy("hide")),
        ("schedule pause", commands.SchedulePause()),
    ],
)
def test_commands_parse(text: str, expected: commands.Command) -> None:
    assert commands.parse_command(text, ["group-work"]) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("dance", "is not a Casebook command"),
        ("leaderboard year", "week, month or all"),
        ("stats bob", "mention them"),
        ("schedule set 25:00 20:00 America/Chicago", "24-hour time"),
        ("schedule set 09:00 20:00 Mars/Base", "IANA time zone"),
        ("schedule set 09:00 08:00 America/Chicago", "must come after the post"),
        ("schedule set 09:00 20:00 America/Chicago mon-fri astrology", "Unknown topic"),
        ("privacy sell", "privacy hide"),
        ("reveal now please", "Too many words"),
    ],
)
def test_bad_commands_say_what_is_accepted(text: str, says: str) -> None:
    with pytest.raises(commands.CommandError, match=says):
        commands.parse_command(text, ["group-work"])


def test_a_full_schedule_parses() -> None:
    request = parse_schedule(["9:00", "11h", "Europe/London", "mon,wed,fri", "group-work"], ["group-work"])
    assert (request.post_time, request.reveal_minutes, request.tz) == ("09:00", 660, "Europe/London")
    assert request.days == ("mon", "wed", "fri") and request.topics == frozenset({"group-work"})


def test_day_specs() -> None:
    assert parse_days("mon-fri") == ("mon", "tue", "wed", "thu", "fri")
    assert parse_days("fri-mon") == ("mon", "fri", "sat", "sun")
    assert parse_days("weekends") == ("sat", "sun")
    with pytest.raises(ScheduleError):
        parse_days("someday")


def test_clock_zone_and_reveal_edges() -> None:
    assert parse_clock("0:05").minute == 5
    assert parse_zone("UTC") == "UTC"
    with pytest.raises(ScheduleError):
        parse_zone("../../etc/passwd")
    assert parse_reveal("90m", parse_clock("09:00")) == (None, 90)
    with pytest.raises(ScheduleError):
        parse_reveal("2m", parse_clock("09:00"))
