"""The core's Publisher on Slack's Web API: post, edit in place, reply in a thread, announce."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack import render
from bot.cards import DilemmaCard, DiscussionCard, RecapCard, RevealCard
from bot.keys import ChannelKey
from bot.publishing import PublishError

log = logging.getLogger(__name__)

# A resumed post is looked for among this many of the channel's latest messages.
FIND_POST_LOOKBACK = 50

# Errors that retrying will not heal: the channel is gone, the bot was removed, the token is dead.
LASTING_ERRORS = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "account_inactive", "invalid_auth", "not_authed",
    "token_revoked", "token_expired", "missing_scope", "restricted_action", "team_access_not_granted",
    "no_permission", "ekm_access_denied", "org_login_required",
})
# Errors Slack reports for its own trouble; the core retries these later.
PASSING_ERRORS = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
})


def publish_error(error: SlackApiError) -> PublishError:
    """Classify a Web API failure for the core: lasting (give up on the channel) or passing (retry later)."""
    response = error.response
    status = response.status_code
    code = response.get("error") if isinstance(response.data, dict) else None
    reason = str(code or f"HTTP {status}")
    if status == 429 or code == "ratelimited":
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return PublishError(reason, lasting=False, retry_after=_seconds(retry_after))
    if status >= 500 or code in PASSING_ERRORS:
        return PublishError(reason, lasting=False)
    if code in LASTING_ERRORS:
        return PublishError(reason, lasting=True)
    # Anything else is a request Slack refuses as written (invalid_blocks, msg_too_long...): resending
    # the same request cannot help, so it is lasting for this message.
    return PublishError(reason, lasting=True)


def _seconds(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class SlackPublisher:
    """Implements bot.publishing.Publisher. Message references are Slack message timestamps (`ts`)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.stopped = False  # set when the adapter shuts down and its HTTP session is closed

    async def post(self, channel: ChannelKey, card: DilemmaCard) -> str:
        message = render.dilemma_message(card)
        response = await self._call(self.client.chat_postMessage(
            channel=channel.channel, unfurl_links=False, unfurl_media=False, **message.as_kwargs()
        ))
        return str(response["ts"])

    async def find_post(self, channel: ChannelKey, post_id: int) -> str | None:
        """Our message carrying this post's vote buttons, among the channel's latest (channels:history)."""
        response = await self._call(self.client.conversations_history(channel=channel.channel,
                                                                      limit=FIND_POST_LOOKBACK))
        prefix = f"{post_id}:"
        for message in response.get("messages") or []:
            for block in message.get("blocks") or []:
                for element in block.get("elements") or []:
                    action = str(element.get("action_id", ""))
                    if action.startswith(render.VOTE_ACTION_PREFIX) and str(element.get("value", "")).startswith(
                            prefix):
                        return str(message["ts"])
        return None

    async def edit(self, channel: ChannelKey, message_ref: str, card: DilemmaCard | RevealCard) -> None:
        if isinstance(card, DilemmaCard):
            message = render.dilemma_message(card)
        elif isinstance(card, RevealCard):
            message = render.reveal_message(card)
        else:
            raise TypeError(f"cannot edit a post into {type(card).__name__}")
        await self._call(self.client.chat_update(channel=channel.channel, ts=message_ref, **message.as_kwargs()))

    async def open_thread(self, channel: ChannelKey, message_ref: str, card: DiscussionCard) -> str:
        message = render.discussion_message(card)
        response = await self._call(self.client.chat_postMessage(
            channel=channel.channel, thread_ts=message_ref, unfurl_links=False, unfurl_media=False,
            **message.as_kwargs(),
        ))
        return str(response["ts"])

    async def announce(self, channel: ChannelKey, card: RecapCard) -> str:
        message = render.recap_message(card)
        response = await self._call(self.client.chat_postMessage(
            channel=channel.channel, unfurl_links=False, unfurl_media=False, **message.as_kwargs()
        ))
        return str(response["ts"])

    async def _call(self, request: Coroutine[Any, Any, AsyncSlackResponse]) -> AsyncSlackResponse:
        if self.stopped:
            request.close()
            raise PublishError("the Slack adapter is stopped", lasting=False)
        try:
            return await request
        except SlackApiError as error:
            failure = publish_error(error)
            log.warning("Slack refused a publish: %s (lasting=%s)", failure.reason, failure.lasting)
            raise failure from None
        except (TimeoutError, aiohttp.ClientError) as error:
            raise PublishError(f"could not reach Slack: {type(error).__name__}", lasting=False) from None
