"""The one settings object, read from the environment and `.env`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    casebook_db_path: Path = Path("data/casebook.sqlite3")
    casebook_content_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    casebook_log_level: str = "INFO"
    casebook_grace_minutes: int = Field(default=120, ge=0, le=24 * 60)

    discord_token: SecretStr | None = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    discord_dev_guild_id: int | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_mode: Literal["socket", "http"] | None = None
    slack_http_port: int = Field(default=3000, ge=1, le=65535)
    slack_api_base_url: str | None = None
    casebook_slack_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("casebook_content_dirs", mode="before")
    @classmethod
    def _split_dirs(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(part) for part in value.replace(",", ":").split(":") if part.strip()]
        return value

    @field_validator("casebook_slack_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("casebook_log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        level = level.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("discord_token", "slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _slack_complete(self) -> Settings:
        if self.slack_bot_token is None:
            return self
        if self.resolved_slack_mode == "http" and self.slack_signing_secret is None:
            raise ValueError("SLACK_SIGNING_SECRET is required for Slack's HTTP mode")
        if self.resolved_slack_mode == "socket" and self.slack_app_token is None:
            raise ValueError("SLACK_APP_TOKEN is required for Socket Mode (or set SLACK_MODE=http)")
        return self

    @property
    def resolved_slack_mode(self) -> Literal["socket", "http"]:
        if self.slack_mode is not None:
            return self.slack_mode
        return "socket" if self.slack_app_token is not None else "http"

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None


def describe_errors(error: Exception) -> str:
    """Turn a settings ValidationError into lines naming the environment variable."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return str(error)
    lines = []
    for detail in error.errors():
        name = "_".join(str(part) for part in detail["loc"]).upper() or "settings"
        lines.append(f"{name}: {detail['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)
