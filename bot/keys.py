"""Plain values that name things across the core/adapter boundary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelKey:
    """A channel on a platform, e.g. ChannelKey("slack", "T123", "C456")."""

    platform: str
    workspace: str
    channel: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.channel}"


@dataclass(frozen=True)
class MemberKey:
    platform: str
    workspace: str
    user_id: str


@dataclass(frozen=True)
class Member:
    key: MemberKey
    display_name: str
    is_admin: bool = False
