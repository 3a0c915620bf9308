"""What a member studies between daily posts: practice picks, and review cards scheduled with FSRS."""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fsrs import Card, Rating, Scheduler

from bot.scenarios import Dilemma
from bot.store.records import AnsweredDilemma, ReviewCardRecord

# What spaced_scheduler gives a first wrong answer: it comes back the next day.
WRONG_COMES_BACK = timedelta(days=1)


def spaced_scheduler(fuzz: bool = True) -> Scheduler:
    """FSRS without same-day learning steps: a daily study group reviews in days, not minutes
    (a wrong answer comes back the next day, a right one in two, then further apart)."""
    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=fuzz)


def _card_id(dilemma_id: str) -> int:
    # fsrs sleeps a millisecond to make an id when none is given; a stable id per dilemma avoids that.
    return zlib.crc32(dilemma_id.encode())


def review(scheduler: Scheduler, existing: ReviewCardRecord | None, dilemma_id: str, correct: bool,
           at: datetime) -> ReviewCardRecord:
    """Schedule the next review of a dilemma after an answer: soon when wrong, later when right."""
    card = Card.from_json(existing.card_json) if existing else Card(card_id=_card_id(dilemma_id))
    rating = Rating.Good if correct else Rating.Again
    card, _ = scheduler.review_card(card, rating, review_datetime=at.astimezone(UTC))
    return ReviewCardRecord(dilemma_id, card.to_json(), card.due, (existing.reviews if existing else 0) + 1)


def cards_for_new_answers(scheduler: Scheduler, answers: Sequence[AnsweredDilemma],
                          cards: dict[str, ReviewCardRecord]) -> list[ReviewCardRecord]:
    """Every answered dilemma becomes a review card; answers not yet carded are carded now, in order."""
    created: dict[str, ReviewCardRecord] = {}
    for answer in answers:
        if answer.dilemma_id in cards:
            continue
        created[answer.dilemma_id] = review(scheduler, created.get(answer.dilemma_id), answer.dilemma_id,
                                            answer.correct, answer.answered_at)
    return list(created.values())


def topic_accuracy(answers: Sequence[AnsweredDilemma]) -> dict[str, float]:
    right: defaultdict[str, int] = defaultdict(int)
    total: defaultdict[str, int] = defaultdict(int)
    for answer in answers:
        total[answer.topic] += 1
        right[answer.topic] += answer.correct
    return {topic: right[topic] / total[topic] for topic in total}


def choose_practice(bank: Sequence[Dilemma], answers: Sequence[AnsweredDilemma], rng: random.Random,
                    topic: str | None = None) -> Dilemma | None:
    """Prefer dilemmas the member has not seen, from the topics where they are weakest.

    A topic never tried counts as half right: worth trying, but behind a topic the member keeps missing.
    """
    eligible = [d for d in bank if topic is None or d.topic == topic]
    if not eligible:
        return None
    seen = {answer.dilemma_id for answer in answers}
    unseen = [d for d in eligible if d.id not in seen] or eligible
    accuracy = topic_accuracy(answers)
    weakest = min(accuracy.get(d.topic, 0.5) for d in unseen)
    candidates = sorted((d for d in unseen if accuracy.get(d.topic, 0.5) == weakest), key=lambda d: d.id)
    return rng.choice(candidates)
