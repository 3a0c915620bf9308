"""Coalesced count refreshes: a burst of votes edits the post once per interval, not once per click."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class CountRefresher:
    def __init__(self, refresh: Callable[[int], Awaitable[None]], interval_seconds: float) -> None:
        self._refresh = refresh
        self._interval = interval_seconds
        self._waiting: dict[int, asyncio.Task[None]] = {}

    def touch(self, post_id: int) -> None:
        """Ask for a refresh; every touch during the interval is served by the same edit."""
        if post_id not in self._waiting:
            self._waiting[post_id] = asyncio.create_task(self._later(post_id), name=f"casebook-refresh-{post_id}")

    def forget(self, post_id: int) -> None:
        task = self._waiting.pop(post_id, None)
        if task is not None:
            task.cancel()

    async def _later(self, post_id: int) -> None:
        try:
            await asyncio.sleep(self._interval)
            self._waiting.pop(post_id, None)
            await self._refresh(post_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed count refresh must never reach the voter; the next touch retries
            log.warning("refreshing the vote count of post %s failed", post_id, exc_info=True)

    async def close(self) -> None:
        tasks = list(self._waiting.values())
        self._waiting.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
