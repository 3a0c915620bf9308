"""The small interface an adapter implements so the core can publish to its platform."""

from __future__ import annotations

from typing import Protocol

from bot.cards import DilemmaCard, DiscussionCard, RecapCard, RevealCard
from bot.keys import ChannelKey


class PublishError(Exception):
    """Publishing failed. `lasting` failures (channel gone, access removed) will not heal by retrying."""

    def __init__(self, reason: str, *, lasting: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lasting = lasting
        self.retry_after = retry_after


class Publisher(Protocol):
    async def post(self, channel: ChannelKey, card: DilemmaCard) -> str:
        """Publish an open dilemma; return the platform's reference to the message."""
        ...

    async def find_post(self, channel: ChannelKey, post_id: int) -> str | None:
        """The message already published for a post, if there is one.

        Asked before a post that was reserved but never recorded is sent again (a crash between sending and
        recording, or a send that timed out after the platform took it), so that it is not published twice.
        """
        ...

    async def edit(self, channel: ChannelKey, message_ref: str, card: DilemmaCard | RevealCard) -> None:
        """Replace the published message with a fresher card (a new count, or the reveal)."""
        ...

    async def open_thread(self, channel: ChannelKey, message_ref: str, card: DiscussionCard) -> str:
        """Open the discussion thread on the published message; return the thread's reference."""
        ...

    async def announce(self, channel: ChannelKey, card: RecapCard) -> str:
        """Post a plain message to the channel (the weekly recap); return its reference."""
        ...
