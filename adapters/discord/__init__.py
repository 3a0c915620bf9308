"""Casebook on Discord: slash commands, vote buttons and the core's publisher (discord.py 2.x)."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
