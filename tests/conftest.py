"""Fixtures shared by the whole suite, and the promise that no test leaves 127.0.0.1."""

from __future__ import annotations

import ipaddress
import random
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.bank_loader import load_bank
from bot.scenarios import Bank
from bot.service import Casebook
from bot.store import SqliteStore
from tests.fakes.clock import FakeClock

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                raise ConnectionRefusedError(f"tests may not reach {host!r}: loopback only") from None
            return
        if not ip.is_loopback:
            raise ConnectionRefusedError(f"tests may not reach {host}: loopback only")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        return _real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return _real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's own .env or tokens must never leak into a test."""
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_MODE",
                 "CASEBOOK_CONTENT_DIRS", "CASEBOOK_DB_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


_BANK: Bank | None = None


@pytest.fixture
def bank() -> Bank:
    global _BANK
    if _BANK is None:
        _BANK = load_bank()
    return _BANK


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "casebook.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def core(store: SqliteStore, bank: Bank, clock: FakeClock) -> AsyncIterator[Casebook]:
    service = Casebook(store, bank, clock, rng=random.Random(7), refresh_seconds=0.01)
    yield service
    await service.close()
