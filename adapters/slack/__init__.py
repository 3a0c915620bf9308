"""Slack: one `/casebook` slash command and vote buttons, on Bolt's AsyncApp (Socket Mode or HTTP)."""

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
