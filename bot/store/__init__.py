"""Persistence. The rest of the core talks to the store only through `Store`'s methods."""

from bot.store.sqlite import PostAlreadyReserved, SqliteStore, VoteOutcome

Store = SqliteStore

__all__ = ["PostAlreadyReserved", "SqliteStore", "Store", "VoteOutcome"]
