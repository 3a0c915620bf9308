"""Persistence. The rest of the core talks to the store only through the `Store` interface."""

from bot.store.base import Store
from bot.store.records import VoteOutcome
from bot.store.sqlite import PostAlreadyReserved, SqliteStore

__all__ = ["PostAlreadyReserved", "SqliteStore", "Store", "VoteOutcome"]


def _conforms(store: SqliteStore) -> Store:
    return store  # mypy checks here that SqliteStore implements every method of Store
