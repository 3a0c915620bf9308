"""Private study and privacy: practice, the review queue, export and forget. None of it touches leaderboards."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from fsrs import Scheduler

from bot.cards import (
    Card,
    ExportCard,
    ForgetPrompt,
    Notice,
    RevealedOption,
    StudyCard,
    StudyMode,
    StudyResultCard,
    option_lines,
    references,
)
from bot.clock import Clock
from bot.keys import Member, MemberKey
from bot.learning import cards_for_new_answers, choose_practice, review
from bot.scenarios import Bank, Dilemma
from bot.store import Store

FORGET_WINDOW = timedelta(minutes=10)


class StudyService:
    def __init__(self, store: Store, bank: Bank, clock: Clock, rng: random.Random, scheduler: Scheduler) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock
        self.rng = rng
        self.scheduler = scheduler
        self._forget_asked: dict[MemberKey, datetime] = {}

    async def practice(self, member: Member, topic: str | None) -> Card:
        member_id = await self.store.member_id(member, self.clock.now())
        answers = await self.store.answered_dilemmas(member_id)
        dilemma = choose_practice(list(self.bank.dilemmas.values()), answers, self.rng, topic)
        if dilemma is None:
            return Notice.error("There is nothing to practise on that topic yet.")
        return self._question(StudyMode.PRACTICE, dilemma, 0)

    async def review(self, member: Member) -> Card:
        member_id = await self.store.member_id(member, self.clock.now())
        due = await self._due_cards(member_id)
        if not due:
            upcoming = await self.store.review_cards(member_id)
            if not upcoming:
                return Notice("Nothing to review yet: every dilemma you answer joins your review queue.")
            return Notice(f"Nothing is due. Your next review is on {upcoming[0].due_at:%a %d %b}.")
        return self._question(StudyMode.REVIEW, self.bank.dilemmas[due[0]], len(due))

    async def _due_cards(self, member_id: int) -> list[str]:
        """Card every answer not yet carded, then list the due ones, most overdue first."""
        cards = {card.dilemma_id: card for card in await self.store.review_cards(member_id)}
        answers = await self.store.answered_dilemmas(member_id)
        created = cards_for_new_answers(self.scheduler, answers, cards)
        if created:
            await self.store.save_review_cards(member_id, created)
            cards.update({card.dilemma_id: card for card in created})
        now = self.clock.now()
        due = sorted((card for card in cards.values() if card.due_at <= now and card.dilemma_id in
                      self.bank.dilemmas), key=lambda card: (card.due_at, card.dilemma_id))
        return [card.dilemma_id for card in due]

    async def answer(self, member: Member, mode: str, dilemma_id: str, letter: str) -> Card:
        dilemma = self.bank.dilemmas.get(dilemma_id)
        letter = letter.strip().upper()
        if dilemma is None:
            return Notice.error("That dilemma is no longer in the bank.")
        if letter not in dilemma.letters:
            return Notice.error(f"'{letter}' is not an option here.")
        study_mode = StudyMode(mode)
        now = self.clock.now()
        member_id = await self.store.member_id(member, now)
        correct = letter == dilemma.best_letter
        cards = {card.dilemma_id: card for card in await self.store.review_cards(member_id)}
        if study_mode is StudyMode.REVIEW and dilemma_id not in cards:
            return Notice.error("That dilemma is not in your review queue.")
        card = review(self.scheduler, cards.get(dilemma_id), dilemma_id, correct, now)
        await self.store.save_review_cards(member_id, [card])
        await self.store.record_study_answer(member_id, dilemma_id, dilemma.topic, study_mode.value, letter,
                                             correct, now)
        remaining = len(await self._due_cards(member_id)) if study_mode is StudyMode.REVIEW else 0
        return StudyResultCard(
            mode=study_mode, dilemma_id=dilemma.id, title=dilemma.title, chosen=letter, correct=correct,
            options=tuple(RevealedOption(key, o.text, o.reasoning, int(key == letter), o.best, False)
                          for key, o in zip(dilemma.letters, dilemma.options, strict=True)),
            takeaway=dilemma.takeaway,
            references=references(self.bank, dilemma),
            next_review_at=card.due_at, due_remaining=remaining,
        )

    def _question(self, mode: StudyMode, dilemma: Dilemma, due_count: int) -> StudyCard:
        return StudyCard(
            mode=mode, dilemma_id=dilemma.id, title=dilemma.title, situation=dilemma.situation,
            question=dilemma.question,
            options=option_lines(dilemma),
            topic=self.bank.topic_title(dilemma.topic), difficulty=dilemma.difficulty, due_count=due_count,
        )

    async def export(self, member: Member) -> Card:
        data = await self.store.export_member(member.key)
        if data is None:
            return Notice("Casebook stores nothing about you.")
        data["exported_at"] = self.clock.now().isoformat()
        return ExportCard(f"casebook-{member.key.platform}-{member.key.user_id}.json",
                          json.dumps(data, indent=2, ensure_ascii=False, default=str))

    async def forget(self, member: Member, confirmed: bool) -> Card:
        now = self.clock.now()
        asked = self._forget_asked.get(member.key)
        if not confirmed:
            self._forget_asked[member.key] = now
            return ForgetPrompt("This deletes your votes, points, streaks, review cards and settings in every "
                                "channel of this workspace, for good. Confirm within 10 minutes to go ahead.")
        if asked is None or now - asked > FORGET_WINDOW:
            return Notice.error("Ask first with privacy forget, then confirm within 10 minutes.")
        del self._forget_asked[member.key]
        deleted = await self.store.forget_member(member.key)
        if not deleted:
            return Notice("Casebook stored nothing about you. Nothing was deleted.")
        summary = ", ".join(f"{count} {table.replace('_', ' ')}" for table, count in deleted.items() if count)
        return Notice(f"Forgotten. Deleted: {summary}.")
