"""A publisher that records what the core asked it to publish."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.cards import DilemmaCard, DiscussionCard, RecapCard, RevealCard
from bot.keys import ChannelKey
from bot.publishing import PublishError


@dataclass
class RecordingPublisher:
    posts: list[tuple[ChannelKey, DilemmaCard]] = field(default_factory=list)
    edits: list[tuple[ChannelKey, str, DilemmaCard | RevealCard]] = field(default_factory=list)
    threads: list[tuple[ChannelKey, str, DiscussionCard]] = field(default_factory=list)
    recaps: list[tuple[ChannelKey, RecapCard]] = field(default_factory=list)
    failing: dict[ChannelKey, PublishError] = field(default_factory=dict)

    def _check(self, channel: ChannelKey) -> None:
        if channel in self.failing:
            raise self.failing[channel]

    async def post(self, channel: ChannelKey, card: DilemmaCard) -> str:
        self._check(channel)
        self.posts.append((channel, card))
        return f"msg-{card.post_id}"

    async def find_post(self, channel: ChannelKey, post_id: int) -> str | None:
        self._check(channel)
        found = any(key == channel and card.post_id == post_id for key, card in self.posts)
        return f"msg-{post_id}" if found else None

    async def edit(self, channel: ChannelKey, message_ref: str, card: DilemmaCard | RevealCard) -> None:
        self._check(channel)
        self.edits.append((channel, message_ref, card))

    async def open_thread(self, channel: ChannelKey, message_ref: str, card: DiscussionCard) -> str:
        self._check(channel)
        self.threads.append((channel, message_ref, card))
        return f"thread-{card.post_id}"

    async def announce(self, channel: ChannelKey, card: RecapCard) -> str:
        self._check(channel)
        self.recaps.append((channel, card))
        return f"recap-{len(self.recaps)}"

    @property
    def reveals(self) -> list[RevealCard]:
        return [card for _, _, card in self.edits if isinstance(card, RevealCard)]
