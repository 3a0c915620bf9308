"""Which dilemma a channel gets next: no repeat until the eligible ones are used up, difficulty rotating."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

from bot.scenarios import Dilemma

# Monday starts the week gently; the middle and the weekend carry the judgment calls.
WEEKDAY_DIFFICULTY = (1, 2, 3, 1, 2, 3, 2)


def current_cycle(used: Sequence[str], eligible_ids: set[str]) -> set[str]:
    """The dilemmas used since the channel last went through every eligible one."""
    cycle: set[str] = set()
    for dilemma_id in used:
        if dilemma_id not in eligible_ids:
            continue
        cycle.add(dilemma_id)
        if cycle >= eligible_ids:
            cycle = set()
    return cycle


def choose_dilemma(
    eligible: Sequence[Dilemma], used: Sequence[str], day: date, rng: random.Random, difficulty: int | None = None
) -> Dilemma | None:
    if difficulty is not None:
        eligible = [d for d in eligible if d.difficulty == difficulty]
    if not eligible:
        return None
    cycle = current_cycle(used, {d.id for d in eligible})
    remaining = sorted((d for d in eligible if d.id not in cycle), key=lambda d: d.id)
    if difficulty is None:
        wanted = WEEKDAY_DIFFICULTY[day.weekday()]
        preferred = [d for d in remaining if d.difficulty == wanted]
        remaining = preferred or remaining
    return rng.choice(remaining)
