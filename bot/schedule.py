"""Channel schedules: validating what an admin asks for, and when a channel's next post and reveal fall."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.store.records import ALL_DAYS

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^\+?(?:(\d{1,2})h)?(?:(\d{1,3})m)?$")
TIME_HELP = "a 24-hour time like 09:00"
REVEAL_HELP = "a later time the same day like 20:00, or a duration like 11h or 90m"
DAYS_HELP = "days like mon-fri, mon,wed,fri, weekdays, weekends or daily"
ZONE_HELP = "an IANA time zone like America/Chicago or Europe/London"


class ScheduleError(ValueError):
    """An admin's schedule request that cannot be accepted; the message says what is."""


@dataclass(frozen=True)
class ScheduleRequest:
    post_time: str
    reveal_time: str | None
    reveal_minutes: int | None
    tz: str
    days: tuple[str, ...]
    topics: frozenset[str]
    difficulty: int | None = None  # None: every difficulty, rotating through the week


def parse_clock(text: str) -> time:
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ScheduleError(f"'{text}' is not a time: use {TIME_HELP}.")
    return time(int(match[1]), int(match[2]))


def parse_zone(text: str) -> str:
    name = text.strip()
    if name not in _zones() and name != "UTC":
        raise ScheduleError(f"'{text}' is not a time zone: use {ZONE_HELP}.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"'{text}' is not a time zone: use {ZONE_HELP}.") from error
    return name


def _zones() -> set[str]:
    return available_timezones()


def zone_suggestions(prefix: str, limit: int = 25) -> list[str]:
    """Time zones for autocomplete, best matches first."""
    needle = prefix.strip().lower()
    zones = sorted(z for z in _zones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    starts = [z for z in zones if z.lower().startswith(needle)]
    contains = [z for z in zones if needle in z.lower() and z not in starts]
    return (starts + contains)[:limit]


def parse_days(text: str) -> tuple[str, ...]:
    spec = text.strip().lower()
    named = {"daily": ALL_DAYS, "everyday": ALL_DAYS, "weekdays": ALL_DAYS[:5], "weekends": ALL_DAYS[5:]}
    if spec in named:
        return named[spec]
    chosen: set[str] = set()
    for part in spec.split(","):
        ends = part.split("-")
        if not all(end in ALL_DAYS for end in ends) or len(ends) > 2:
            raise ScheduleError(f"'{text}' is not a set of days: use {DAYS_HELP}.")
        first, last = ALL_DAYS.index(ends[0]), ALL_DAYS.index(ends[-1])
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        chosen.update(ALL_DAYS[i] for i in span)
    return tuple(day for day in ALL_DAYS if day in chosen)


def looks_like_days(word: str) -> bool:
    try:
        parse_days(word)
    except ScheduleError:
        return False
    return True


def parse_reveal(text: str, post_at: time) -> tuple[str | None, int | None]:
    """A reveal is a later clock time the same day, or a duration after the post."""
    if _CLOCK.match(text.strip()):
        reveal = parse_clock(text)
        if reveal <= post_at:
            raise ScheduleError(f"The reveal ({reveal:%H:%M}) must come after the post ({post_at:%H:%M}) on the "
                                f"same day: use {REVEAL_HELP}.")
        return f"{reveal:%H:%M}", None
    match = _DURATION.match(text.strip().lower())
    if match is None or not (match[1] or match[2]):
        raise ScheduleError(f"'{text}' is not a reveal time: use {REVEAL_HELP}.")
    minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    if not 5 <= minutes <= 24 * 60 - 1:
        raise ScheduleError("A reveal must come between 5 minutes and 24 hours after the post.")
    return None, minutes


def parse_topics(text: str, known: Iterable[str]) -> frozenset[str]:
    known_topics = set(known)
    topics = frozenset(t.strip() for t in text.lower().split(",") if t.strip())
    unknown = sorted(topics - known_topics)
    if unknown:
        raise ScheduleError(f"Unknown topic(s): {', '.join(unknown)}. Topics: {', '.join(sorted(known_topics))}.")
    return topics


def parse_difficulty(text: str) -> int | None:
    """`difficulty=2` (or 1 or 3) keeps a channel to one level; `difficulty=any` rotates through the week."""
    value = text.strip().lower().removeprefix("difficulty=")
    if value in ("any", "all", ""):
        return None
    if value not in ("1", "2", "3"):
        raise ScheduleError(f"'{text}' is not a difficulty: use difficulty=1, 2, 3 or any.")
    return int(value)


def parse_schedule(words: list[str], known_topics: Iterable[str]) -> ScheduleRequest:
    """`09:00 20:00 America/Chicago [mon-fri] [topic,topic] [difficulty=2]`."""
    if len(words) < 3 or len(words) > 6:
        raise ScheduleError("Use: schedule set POST REVEAL ZONE [days] [topics] [difficulty=1|2|3], e.g. "
                            "schedule set 09:00 20:00 America/Chicago mon-fri")
    post_at = parse_clock(words[0])
    reveal_time, reveal_minutes = parse_reveal(words[1], post_at)
    tz = parse_zone(words[2])
    days: tuple[str, ...] = ALL_DAYS
    topics: frozenset[str] = frozenset()
    difficulty: int | None = None
    for word in words[3:]:
        if word.lower().startswith("difficulty="):
            difficulty = parse_difficulty(word)
        elif looks_like_days(word) and days == ALL_DAYS:
            days = parse_days(word)
        else:
            topics = parse_topics(word, known_topics)
    return ScheduleRequest(f"{post_at:%H:%M}", reveal_time, reveal_minutes, tz, days, topics, difficulty)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time; a time skipped by spring-forward moves to the first valid one,
    and a time that happens twice at fall-back is the first of the two."""
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=zone, fold=0)
    round_trip = candidate.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:  # skipped: the first valid minute is the end of the gap
        later = naive
        while True:
            later += timedelta(minutes=1)
            probe = later.replace(tzinfo=zone, fold=0)
            if probe.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) == later:
                return probe.astimezone(ZoneInfo("UTC"))
    return candidate.astimezone(ZoneInfo("UTC"))


def reveal_moment(post_day: date, post_at_utc: datetime, reveal_time: str | None, reveal_minutes: int | None,
                  zone: ZoneInfo) -> datetime:
    if reveal_minutes is not None:
        return post_at_utc + timedelta(minutes=reveal_minutes)
    assert reveal_time is not None
    return max(local_moment(post_day, parse_clock(reveal_time), zone), post_at_utc + timedelta(minutes=1))
