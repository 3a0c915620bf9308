"""Channel-local calendars: days, weeks and months are always the channel's own, never UTC's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.cards import Period


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def period_key(period: Period, day: date) -> str:
    if period is Period.ALL:
        return "all"
    if period is Period.MONTH:
        return f"M{day:%Y-%m}"
    year, week, _ = day.isocalendar()
    return f"W{year}-{week:02d}"


def period_keys(day: date) -> list[str]:
    """Every leaderboard period a post made on this local day counts towards."""
    return [period_key(period, day) for period in Period]


def period_label(period: Period, day: date) -> str:
    if period is Period.ALL:
        return "all time"
    if period is Period.MONTH:
        return f"{day:%B %Y}"
    year, week, _ = day.isocalendar()
    return f"week {week} of {year}"
