"""Coalesced count refreshes: a burst of votes edits the post once per interval, not once per click."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class CountRefresher:
    """At most one refresh per post is on its way at any time, so edits never overtake each other, and a
    post being revealed can wait for the last one (`settle`) before its reveal edit goes out."""

    def __init__(self, refresh: Callable[[int], Awaitable[None]], interval_seconds: float) -> None:
        self._refresh = refresh
        self._interval = interval_seconds
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._touched_again: set[int] = set()
        self._sending: set[int] = set()

    def touch(self, post_id: int) -> None:
        """Ask for a refresh; every touch until the next edit starts is served by that edit."""
        if post_id in self._tasks:
            self._touched_again.add(post_id)
            return
        self._tasks[post_id] = asyncio.create_task(self._run(post_id), name=f"casebook-refresh-{post_id}")

    async def _run(self, post_id: int) -> None:
        try:
            while True:
                await asyncio.sleep(self._interval)
                self._touched_again.discard(post_id)
                self._sending.add(post_id)
                try:
                    await self._refresh(post_id)
                except Exception:  # a failed count refresh must never reach a voter; the next touch retries
                    log.warning("refreshing the vote count of post %s failed", post_id, exc_info=True)
                finally:
                    self._sending.discard(post_id)
                if post_id not in self._touched_again:
                    return
        finally:
            if self._tasks.get(post_id) is asyncio.current_task():
                del self._tasks[post_id]

    async def settle(self, post_id: int) -> None:
        """Stop refreshing a post: a waiting refresh is dropped, one already sending is waited for."""
        task = self._tasks.pop(post_id, None)
        self._touched_again.discard(post_id)
        if task is None:
            return
        if post_id in self._sending:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        for post_id in list(self._tasks):
            await self.settle(post_id)
