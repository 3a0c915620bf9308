"""The dilemma lifecycle: post, vote, reveal, and what members read back (leaderboards, stats, topics)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import commands
from bot.cards import (
    Card,
    DilemmaCard,
    DiscussionCard,
    HelpCard,
    LeaderboardCard,
    LeaderLine,
    Notice,
    Period,
    PostedCard,
    RecapCard,
    RevealCard,
    RevealedOption,
    ScheduleCard,
    StatsCard,
    TopicsCard,
    TopicStat,
    VoteConfirmation,
    option_lines,
    references,
)
from bot.choice import choose_dilemma
from bot.clock import Clock
from bot.keys import ChannelKey, Member, MemberKey
from bot.learning import WRONG_COMES_BACK, spaced_scheduler
from bot.localtime import local_date, period_key, period_keys, period_label
from bot.publishing import Publisher, PublishError
from bot.refresh import CountRefresher
from bot.scenarios import Bank, Dilemma
from bot.schedule import ScheduleRequest
from bot.scoring import ScoringRules, award, next_streak
from bot.store import Store
from bot.store.records import Ballot, ChannelRecord, MemberAward, PostRecord
from bot.study import StudyService

log = logging.getLogger(__name__)

DEFAULT_OPEN_HOURS = 12
LEADERBOARD_SIZE = 10
ADMIN_ONLY = "Only an admin can do that here."
HELP_ACTIONS: tuple[tuple[str, str, bool], ...] = (
    ("post [id or topic]", "post a dilemma now", True),
    ("reveal", "reveal the open dilemma now", True),
    ("practice [topic]", "practise privately: answer and reasoning shown only to you", False),
    ("review", "review your due dilemmas (spaced repetition)", False),
    ("leaderboard [week|month|all]", "the channel's leaderboard", False),
    ("stats [@member]", "your stats by topic, or a member's", False),
    ("topics", "topics and how many dilemmas each has", False),
    ("schedule set HH:MM HH:MM Area/City [days] [topics] [difficulty=1|2|3]", "set the daily post and reveal",
     True),
    ("schedule show", "show this channel's schedule", False),
    ("schedule pause|resume", "pause or resume the schedule", True),
    ("schedule recap on|off", "turn the weekly recap on or off", True),
    ("schedule scoring best=10 part=1 streak=1 cap=5", "this channel's scoring", True),
    ("schedule admins add|remove @member", "this channel's own admins", True),
    ("privacy hide|show|export|forget", "leave or rejoin leaderboards, get your data, or be forgotten", False),
    ("help", "this list", False),
)


def split_margin(votes: dict[str, int]) -> tuple[float, int]:
    """How far apart the two most chosen options were: the smaller, the more the group was split."""
    total = sum(votes.values())
    shares = [*sorted((count / total for count in votes.values()), reverse=True), 0.0]
    return shares[0] - shares[1], -total


def recent_weeks(answers: list[tuple[date, bool]], today: date, count: int = 8) -> tuple[tuple[str, int, int], ...]:
    """Answers per local week for the last `count` weeks, oldest first, empty weeks included."""
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    tally = {week: [0, 0] for week in weeks}
    for day, correct in answers:
        week = day - timedelta(days=day.weekday())
        if week in tally:
            tally[week][0] += 1
            tally[week][1] += correct
    return tuple((f"{week:%d %b}", answered, right) for week, (answered, right) in tally.items())


class Casebook:
    """The core service every adapter calls with plain values and gets cards back from."""

    def __init__(
        self,
        store: Store,
        bank: Bank,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        refresh_seconds: float = 2.0,
        review_fuzz: bool = True,
    ) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock
        self.rng = rng or random.Random()
        self.publishers: dict[str, Publisher] = {}
        self.refresher = CountRefresher(self._refresh_count, refresh_seconds)
        self.study = StudyService(store, bank, clock, self.rng, spaced_scheduler(review_fuzz))
        self._vote_targets: dict[int, tuple[Dilemma, datetime]] = {}
        self._reveal_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.schedule_listeners: list[Callable[[ChannelRecord], Awaitable[None]]] = []
        self.next_post_at: Callable[[ChannelRecord], datetime | None] = lambda channel: None

    def add_publisher(self, platform: str, publisher: Publisher) -> None:
        self.publishers[platform] = publisher

    # -- the one entry point for commands ----------------------------------------------------------

    async def handle(self, command: commands.Command, channel: ChannelKey, member: Member) -> Card:
        """Run a member's command in a channel; every result, refusals included, is a card to show them."""
        match command:
            case commands.Post(target):
                if target is not None and target not in self.bank.dilemmas and target not in self.bank.topics:
                    return Notice.error(f"'{target}' is neither a dilemma id nor a topic. `topics` lists the topics.")
                scenario = target if target in self.bank.dilemmas else None
                topic = target if target is not None and scenario is None else None
                return await self.post_now(channel, member, scenario=scenario, topic=topic)
            case commands.Reveal():
                return await self.reveal_now(channel, member)
            case commands.Leaderboard(period):
                return await self.leaderboard(channel, period)
            case commands.Stats(subject_id):
                subject = member.key if subject_id is None else dataclasses.replace(member.key, user_id=subject_id)
                return await self.stats(channel, subject, member.key)
            case commands.Topics():
                return self.topics()
            case commands.Help():
                return self.help()
            case commands.ScheduleSet(request):
                return await self.schedule_set(channel, member, request)
            case commands.ScheduleShow():
                return await self.schedule_show(channel)
            case commands.SchedulePause():
                return await self.schedule_pause(channel, member, paused=True)
            case commands.ChannelAdmin(user_id, add):
                return await self.channel_admins(channel, member, user_id, add)
            case commands.ScheduleRecap(enabled):
                return await self.channel_settings(channel, member, {"recap": enabled})
            case commands.ScheduleScoring(changes):
                return await self.channel_settings(channel, member, {"scoring": dict(changes)})
            case commands.ScheduleResume():
                return await self.schedule_pause(channel, member, paused=False)
            case commands.Privacy("hide" | "show" as action):
                return await self.set_hidden(member, action == "hide")
            case commands.Privacy("export"):
                return await self.study.export(member)
            case commands.Privacy("forget" | "forget-confirm" as action):
                return await self.study.forget(member, confirmed=action == "forget-confirm")
            case commands.Practice(topic):
                return await self.study.practice(member, topic)
            case commands.Review():
                return await self.study.review(member)
            case commands.Answer(mode, dilemma_id, letter):
                return await self.study.answer(member, mode, dilemma_id, letter)
        raise TypeError(f"unhandled command {command!r}")

    async def is_admin(self, channel: ChannelKey, member: Member) -> bool:
        """A platform admin (as the adapter found), or a member an admin listed in this channel's admins."""
        if member.is_admin:
            return True
        record = await self.store.get_channel(channel)
        return record is not None and member.key.user_id in record.settings.get("admins", [])

    async def channel_admins(self, channel: ChannelKey, member: Member, user_id: str, add: bool) -> Card:
        if not await self.is_admin(channel, member):
            return Notice.error(ADMIN_ONLY)
        record = await self.store.ensure_channel(channel, self.clock.now())
        admins = [admin for admin in record.settings.get("admins", []) if admin != user_id]
        if add:
            admins.append(user_id)
        await self.store.save_channel(dataclasses.replace(record, settings={**record.settings, "admins": admins}))
        done = "can now run" if add else "can no longer run"
        return Notice(f"That member {done} admin commands in this channel ({len(admins)} channel admin(s) "
                      "besides the platform's own).")

    # -- schedules -------------------------------------------------------------------------------

    async def schedule_set(self, channel: ChannelKey, member: Member, request: ScheduleRequest) -> Card:
        if not await self.is_admin(channel, member):
            return Notice.error(ADMIN_ONLY)
        record = await self.store.ensure_channel(channel, self.clock.now())
        updated = dataclasses.replace(
            record, tz=request.tz, post_time=request.post_time, reveal_time=request.reveal_time,
            reveal_minutes=request.reveal_minutes, days=request.days, topics=request.topics,
            difficulty=request.difficulty, paused=False, schedule_updated_at=self.clock.now(),
            settings={key: value for key, value in record.settings.items() if key != "paused_reason"},
        )
        await self._save_schedule(updated)
        return self.schedule_card(updated)

    async def schedule_show(self, channel: ChannelKey) -> Card:
        record = await self.store.get_channel(channel)
        if record is None or not record.scheduled:
            return Notice("No schedule is set here. An admin can set one: schedule set 09:00 20:00 America/Chicago")
        return self.schedule_card(record)

    async def schedule_pause(self, channel: ChannelKey, member: Member, *, paused: bool) -> Card:
        if not await self.is_admin(channel, member):
            return Notice.error(ADMIN_ONLY)
        record = await self.store.get_channel(channel)
        if record is None or not record.scheduled:
            return Notice.error("No schedule is set here yet: set one first with schedule set.")
        settings = {key: value for key, value in record.settings.items() if key != "paused_reason"}
        updated = dataclasses.replace(record, paused=paused, schedule_updated_at=self.clock.now(), settings=settings)
        await self._save_schedule(updated)
        return self.schedule_card(updated)

    async def channel_settings(self, channel: ChannelKey, member: Member, changes: dict[str, Any]) -> Card:
        """An admin's per-channel settings: the weekly recap on or off, and scoring."""
        if not await self.is_admin(channel, member):
            return Notice.error(ADMIN_ONLY)
        record = await self.store.ensure_channel(channel, self.clock.now())
        settings = dict(record.settings)
        if "scoring" in changes:
            settings["scoring"] = {**settings.get("scoring", {}), **changes["scoring"]}
            ScoringRules.from_settings(settings)  # the parser already bounded each value
        if "recap" in changes:
            settings["recap"] = changes["recap"]
        updated = dataclasses.replace(record, settings=settings)
        await self.store.save_channel(updated)
        rules = ScoringRules.from_settings(settings)
        recap = "on" if settings.get("recap", True) else "off"
        return Notice(f"Saved. Weekly recap {recap}; scoring: {rules.best_points} for the best answer, "
                      f"{rules.participation_points} for taking part, streak bonus +{rules.streak_step} a day up to "
                      f"+{rules.streak_cap}.")

    async def _save_schedule(self, channel: ChannelRecord) -> None:
        await self.store.save_channel(channel)
        for listener in self.schedule_listeners:
            await listener(channel)

    def schedule_card(self, channel: ChannelRecord) -> ScheduleCard:
        if channel.reveal_minutes is not None:
            hours, minutes = divmod(channel.reveal_minutes, 60)
            reveal = f"{hours}h {minutes:02d}m after the post"
        else:
            reveal = channel.reveal_time or ""
        next_at = None if channel.paused else self.next_post_at(channel)
        return ScheduleCard(
            tz=channel.tz, post_time=channel.post_time, reveal=reveal, days=channel.days,
            topics=tuple(self.bank.topic_title(t) for t in sorted(channel.topics)), paused=channel.paused,
            next_post_at=next_at.astimezone(ZoneInfo(channel.tz)) if next_at else None,
            difficulty=channel.difficulty,
            paused_reason=channel.settings.get("paused_reason") if channel.paused else None,
        )

    # -- posting ---------------------------------------------------------------------------------

    async def post_now(
        self, channel: ChannelKey, member: Member, *, scenario: str | None = None, topic: str | None = None
    ) -> PostedCard | Notice:
        """An admin's `post`: a given scenario, a topic, or the channel's next dilemma."""
        if not await self.is_admin(channel, member):
            return Notice.error(ADMIN_ONLY)
        record = await self.store.ensure_channel(channel, self.clock.now())
        dilemma: Dilemma | None
        if scenario is not None:
            dilemma = self.bank.dilemmas.get(scenario)
            if dilemma is None:
                return Notice.error(f"There is no dilemma with id '{scenario}'. `topics` lists what there is.")
        else:
            if topic is not None and topic not in self.bank.topics:
                return Notice.error(f"'{topic}' is not a topic. Topics: {', '.join(sorted(self.bank.topics))}.")
            dilemma = await self.next_dilemma(record, frozenset({topic}) if topic else None)
            if dilemma is None:
                return Notice.error("No dilemma matches that topic yet.")
        now = self.clock.now()
        try:
            post = await self.publish(record, dilemma, "manual", self.manual_reveal_at(record, now))
        except PublishError as error:
            return Notice.error(f"I could not post here: {error.reason}")
        return PostedCard(post.id, dilemma.title, post.reveal_at.astimezone(ZoneInfo(record.tz)))

    def manual_reveal_at(self, channel: ChannelKey | ChannelRecord, now: datetime) -> datetime:
        """A manual post closes at the channel's reveal time today, or after the default open hours."""
        if isinstance(channel, ChannelRecord) and channel.reveal_time is not None:
            zone = ZoneInfo(channel.tz)
            hour, minute = map(int, channel.reveal_time.split(":"))
            local = now.astimezone(zone)
            reveal = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if reveal > local + timedelta(minutes=30):
                return reveal
        return now + timedelta(hours=DEFAULT_OPEN_HOURS)

    async def next_dilemma(self, channel: ChannelRecord, topics: frozenset[str] | None = None) -> Dilemma | None:
        eligible = self.bank.eligible(channel.topics if topics is None else topics)
        used = await self.store.used_dilemmas(channel.id)
        today = local_date(self.clock.now(), channel.tz)
        return choose_dilemma(eligible, used, today, self.rng, channel.difficulty)

    async def publish(
        self, channel: ChannelRecord, dilemma: Dilemma, kind: str, reveal_at: datetime, local_day: str | None = None
    ) -> PostRecord:
        """Reserve, send, then record the platform reference. Raises PublishError if the send failed."""
        now = self.clock.now()
        day = local_date(now, channel.tz) if local_day is None else datetime.fromisoformat(local_day).date()
        post = await self.store.reserve_post(
            channel.id, dilemma.id, dilemma.topic, kind, day, reveal_at, dilemma.best_letter, now
        )
        return await self.send_reserved(channel, post)

    async def send_reserved(self, channel: ChannelRecord, post: PostRecord, *, resuming: bool = False) -> PostRecord:
        """Send a reserved post and record where it went. When `resuming` a send that may already have reached
        the platform, look for the message first so it is never published twice."""
        publisher = self._publisher(channel.key)
        dilemma = self.bank.dilemmas[post.dilemma_id]
        try:
            message_ref = await publisher.find_post(channel.key, post.id) if resuming else None
            if message_ref is None:
                message_ref = await publisher.post(channel.key, self.dilemma_card(post, dilemma, channel.tz, 0))
        except PublishError:
            await self.store.mark_attempt_failed(post.id, give_up=False)
            raise
        await self.store.mark_posted(post.id, message_ref, self.clock.now())
        posted = await self.store.get_post(post.id)
        assert posted is not None
        return posted

    def _publisher(self, channel: ChannelKey) -> Publisher:
        publisher = self.publishers.get(channel.platform)
        if publisher is None:
            raise PublishError(f"no adapter for platform '{channel.platform}' is running")
        return publisher

    def dilemma_card(self, post: PostRecord, dilemma: Dilemma, tz: str, vote_count: int) -> DilemmaCard:
        return DilemmaCard(
            post_id=post.id,
            dilemma_id=dilemma.id,
            title=dilemma.title,
            situation=dilemma.situation,
            question=dilemma.question,
            options=option_lines(dilemma),
            topic=self.bank.topic_title(dilemma.topic),
            difficulty=dilemma.difficulty,
            closes_at=post.reveal_at.astimezone(ZoneInfo(tz)),
            vote_count=vote_count,
        )

    # -- voting ----------------------------------------------------------------------------------

    async def vote(self, post_id: int, member: Member, letter: str) -> VoteConfirmation | Notice:
        target = await self._vote_target(post_id)
        if target is None:
            return Notice.error("That dilemma no longer exists.")
        dilemma, reveal_at = target
        letter = letter.strip().upper()
        if letter not in dilemma.letters:
            return Notice.error(f"'{letter}' is not an option here.")
        outcome = await self.store.cast_vote(post_id, member, letter, self.clock.now(), WRONG_COMES_BACK)
        if not outcome.accepted:
            self._vote_targets.pop(post_id, None)
            return Notice.error("Voting on this dilemma has closed.")
        self.refresher.touch(post_id)
        previous = outcome.previous_choice
        return VoteConfirmation(letter, dilemma.option(letter).text, reveal_at,
                                previous if previous not in (None, letter) else None, outcome.reviews_due)

    async def _vote_target(self, post_id: int) -> tuple[Dilemma, datetime] | None:
        """What a click needs about its post, cached: none of it changes while the post is open."""
        cached = self._vote_targets.get(post_id)
        if cached is not None:
            return cached
        post = await self.store.get_post(post_id)
        if post is None or post.dilemma_id not in self.bank.dilemmas:
            return None
        channel = await self.store.channel_by_id(post.channel_id)
        target = (self.bank.dilemmas[post.dilemma_id], post.reveal_at.astimezone(ZoneInfo(channel.tz if channel
                                                                                            else "UTC")))
        if post.is_open:
            self._vote_targets[post_id] = target
        return target

    async def _refresh_count(self, post_id: int) -> None:
        post = await self.store.get_post(post_id)
        if post is None or not post.is_open or post.message_ref is None:
            return
        channel = await self.store.channel_by_id(post.channel_id)
        if channel is None:
            return
        card = self.dilemma_card(post, self.bank.dilemmas[post.dilemma_id], channel.tz,
                                 await self.store.vote_count(post.id))
        await self._publisher(channel.key).edit(channel.key, post.message_ref, card)

    # -- reveal ----------------------------------------------------------------------------------

    async def reveal_now(self, channel: ChannelKey, member: Member) -> Notice:
        if not await self.is_admin(channel, member):
            return Notice.error(ADMIN_ONLY)
        record = await self.store.get_channel(channel)
        posts = await self.store.open_posts(record.id) if record else []
        if not posts:
            return Notice.error("There is no open dilemma in this channel.")
        for post in posts:
            await self.reveal(post.id)
        return Notice("Revealed.")

    async def reveal(self, post_id: int) -> RevealCard | None:
        """Close, score once, then publish once. Safe to call twice, concurrently, or after a crash half-way."""
        async with self._reveal_locks[post_id]:
            try:
                return await self._reveal(post_id)
            finally:
                self._reveal_locks.pop(post_id, None)

    async def _reveal(self, post_id: int) -> RevealCard | None:
        post = await self.store.get_post(post_id)
        if post is None or post.state not in ("open", "closed", "revealed") or post.reveal_published_at:
            return None
        self._vote_targets.pop(post.id, None)
        channel = await self.store.channel_by_id(post.channel_id)
        dilemma = self.bank.dilemmas.get(post.dilemma_id)
        if channel is None or dilemma is None:
            log.error("post %s cannot be revealed: its channel or dilemma %s is gone", post.id, post.dilemma_id)
            await self.store.drop_post(post.id)
            return None
        await self.store.close_post(post.id)
        await self.refresher.settle(post.id)  # a count edit still on its way must not land after the reveal
        ballots = await self.store.ballots(post)
        if post.state != "revealed":
            await self._score(channel, post, ballots)
        card = self.reveal_card(post, dilemma, Counter(b.choice for b in ballots))
        if post.message_ref is not None:
            await self._publish_reveal(channel, post, dilemma, card)
        await self.store.mark_reveal_published(post.id, self.clock.now())
        return card

    async def _score(self, channel: ChannelRecord, post: PostRecord, ballots: list[Ballot]) -> None:
        previous_day = await self.store.previous_post_date(channel.id, post.local_date)
        rules = ScoringRules.from_settings(channel.settings)
        awards = []
        for ballot in ballots:
            correct = ballot.choice == post.best_letter
            streak = next_streak(ballot.streak, correct, post.local_date, previous_day)
            awards.append(MemberAward(ballot.member_id, ballot.choice, award(rules, correct, streak), streak))
        await self.store.record_reveal(post, awards, period_keys(post.local_date), self.clock.now())

    async def _publish_reveal(self, channel: ChannelRecord, post: PostRecord, dilemma: Dilemma,
                              card: RevealCard) -> None:
        assert post.message_ref is not None
        try:
            publisher = self._publisher(channel.key)
            await publisher.edit(channel.key, post.message_ref, card)
            if post.thread_ref is None:
                thread = await publisher.open_thread(
                    channel.key, post.message_ref, DiscussionCard(post.id, dilemma.title, dilemma.discussion)
                )
                await self.store.set_thread(post.id, thread)
        except PublishError as error:
            log.warning("could not publish the reveal of post %s in %s: %s", post.id, channel.key, error.reason)

    def reveal_card(self, post: PostRecord, dilemma: Dilemma, split: Counter[str]) -> RevealCard:
        wrong = [(split[letter], letter) for letter in dilemma.letters if letter != post.best_letter]
        top_votes, top_letter = max(wrong, key=lambda pair: (pair[0], -ord(pair[1])))
        trap = top_letter if top_votes > 0 else None
        return RevealCard(
            post_id=post.id,
            dilemma_id=dilemma.id,
            title=dilemma.title,
            situation=dilemma.situation,
            question=dilemma.question,
            options=tuple(
                RevealedOption(letter, o.text, o.reasoning, split[letter], o.best, letter == trap)
                for letter, o in zip(dilemma.letters, dilemma.options, strict=True)
            ),
            topic=self.bank.topic_title(dilemma.topic),
            difficulty=dilemma.difficulty,
            vote_count=sum(split.values()),
            takeaway=dilemma.takeaway,
            references=references(self.bank, dilemma),
        )

    # -- reading back ----------------------------------------------------------------------------

    async def leaderboard(self, channel: ChannelKey, period: Period) -> LeaderboardCard:
        record = await self.store.get_channel(channel)
        tz = record.tz if record else "UTC"
        today = local_date(self.clock.now(), tz)
        rows = await self.store.leaderboard(record.id, period_key(period, today), LEADERBOARD_SIZE) if record else []
        lines = tuple(
            LeaderLine(rank, None if row.hidden else row.display_name, row.points, row.correct, row.answered)
            for rank, row in enumerate(rows, start=1)
        )
        return LeaderboardCard(period, period_label(period, today), lines)

    async def stats(self, channel: ChannelKey, subject: MemberKey, viewer: MemberKey) -> StatsCard | Notice:
        record = await self.store.get_channel(channel)
        history = await self.store.member_history(record.id, subject) if record else None
        if history is None or history.answered == 0:
            who = "You have" if subject == viewer else "That member has"
            return Notice(f"{who} not answered a daily dilemma in this channel yet.")
        if history.hidden and subject != viewer:
            return Notice("That member keeps their stats private.")
        group = {score.topic: score.accuracy for score in history.group_topics}
        topics = tuple(
            TopicStat(self.bank.topic_title(score.topic), score.correct, score.answered, group.get(score.topic))
            for score in history.topics
        )
        current = history.streak.current if history.streak.last_date == history.last_post_date else 0
        return StatsCard(
            name=history.display_name,
            points=history.points,
            answered=history.answered,
            correct=history.correct,
            current_streak=current,
            best_streak=history.streak.best,
            topics=topics,
            practise_next=self._weakest_topic(topics),
            weeks=recent_weeks(history.answers, local_date(self.clock.now(), record.tz if record else "UTC")),
        )

    @staticmethod
    def _weakest_topic(topics: tuple[TopicStat, ...]) -> str | None:
        scored = [(t.member_accuracy, -t.member_answered, t.topic) for t in topics if t.member_accuracy is not None]
        if not scored:
            return None
        accuracy, _, topic = min(scored)
        return topic if accuracy is not None and accuracy < 1 else None

    async def recap(self, channel: ChannelRecord, day: date) -> RecapCard:
        """The recap of the channel's local week that holds `day`."""
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        rows = await self.store.leaderboard(channel.id, period_key(Period.WEEK, day), 5)
        top = tuple(LeaderLine(rank, None if row.hidden else row.display_name, row.points, row.correct, row.answered)
                    for rank, row in enumerate(rows, start=1))
        correct, answered = await self.store.week_accuracy(channel.id, first, last)
        splits = await self.store.week_splits(channel.id, first, last)
        split_post = min(splits, key=lambda post_id: (split_margin(splits[post_id]), post_id), default=None)
        post = await self.store.get_post(split_post) if split_post is not None else None
        dilemma = self.bank.dilemmas.get(post.dilemma_id) if post else None
        return RecapCard(
            week_label=period_label(Period.WEEK, day), top=top, answered=answered, correct=correct,
            most_split_title=dilemma.title if dilemma else None,
            most_split_post_id=post.id if post else None,
            most_split_ref=post.message_ref if post else None,
        )

    def topics(self) -> TopicsCard:
        counts = self.bank.count_by_topic()
        return TopicsCard(tuple((slug, self.bank.topic_title(slug), count) for slug, count in sorted(counts.items())
                                if count))

    def help(self) -> HelpCard:
        return HelpCard(HELP_ACTIONS)

    async def set_hidden(self, member: Member, hidden: bool) -> Notice:
        await self.store.set_hidden(member, hidden, self.clock.now())
        if hidden:
            return Notice("You are hidden from leaderboards; your points still count for you.")
        return Notice("Your name shows on leaderboards again.")

    async def close(self) -> None:
        await self.refresher.close()

