"""A child process that casts votes through the core and prints each one once it is confirmed.

Run as `python -m tests.core.crash_voter DB_PATH SEED`; the crash test kills it with SIGKILL mid-burst.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from bot.bank_loader import load_bank
from bot.cards import VoteConfirmation
from bot.keys import ChannelKey, Member, MemberKey
from bot.service import Casebook
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock
from tests.fakes.publisher import RecordingPublisher

CHANNEL = ChannelKey("crash", "W", "C")
ADMIN = Member(MemberKey("crash", "W", "admin"), "admin", is_admin=True)


async def main(db_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = SqliteStore(db_path)
    await store.open()
    core = Casebook(store, load_bank(), FakeClock(), rng=rng, refresh_seconds=3600)
    core.add_publisher("crash", RecordingPublisher())
    channel = await store.ensure_channel(CHANNEL, core.clock.now())
    open_posts = await store.open_posts(channel.id)
    if open_posts:
        post_id = open_posts[0].id
    else:
        posted = await core.post_now(CHANNEL, ADMIN)
        post_id = posted.post_id  # type: ignore[union-attr]
    print(f"post {post_id}", flush=True)

    async def voter(index: int) -> None:
        member = Member(MemberKey("crash", "W", f"m{index}"), f"m{index}")
        for _ in range(rng.randint(1, 4)):
            choice = rng.choice("ABC")
            print(f"try {index} {choice}", flush=True)
            result = await core.vote(post_id, member, choice)
            if isinstance(result, VoteConfirmation):
                print(f"ok {index} {choice}", flush=True)

    await asyncio.gather(*(voter(i) for i in range(seed * 1000, seed * 1000 + 400)))
    print("done", flush=True)
    await core.close()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
