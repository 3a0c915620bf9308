"""Discord's documented payload limits, checked the way the API would reject them (and a little stricter on pings).

Sources: discord-api-docs "Embed Limits", "Message Components", "Create Message" (allowed mentions),
"Application Commands" (names, descriptions, options, choices) and "Start Thread from Message".
Every function returns a list of human-readable problems; an empty list means Discord would accept it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBEDS_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
THREAD_NAME_MAX = 100
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100

# What would ping if mentions were parsed: mass mentions and raw user/role mentions. discord.utils.escape_mentions
# puts a zero-width space after the @, which these patterns then no longer match.
_PING = re.compile(r"@(everyone|here)\b|<@[!&]?\d{15,21}>")


def pings(text: str) -> list[str]:
    return [match.group(0) for match in _PING.finditer(text)]


def message_problems(payload: dict[str, Any], *, where: str, require_mentions_off: bool = True) -> list[str]:
    """Problems with a create/edit message or interaction-response payload."""
    problems: list[str] = []
    content = payload.get("content")
    if content is not None and len(content) > CONTENT_MAX:
        problems.append(f"{where}: content has {len(content)} characters (max {CONTENT_MAX})")
    embeds = payload.get("embeds") or []
    problems += embeds_problems(embeds, where=where)
    problems += components_problems(payload.get("components") or [], where=where)
    has_text = bool(content) or bool(embeds)
    if require_mentions_off and has_text:
        allowed = payload.get("allowed_mentions")
        if allowed is None or allowed.get("parse") != [] or allowed.get("users") or allowed.get("roles"):
            problems.append(f"{where}: allowed_mentions is {allowed!r}, not {{'parse': []}}")
    for text in _texts(payload):
        for ping in pings(text):
            problems.append(f"{where}: unescaped mention {ping!r}")
    return problems


def _texts(payload: dict[str, Any]) -> Iterable[str]:
    if payload.get("content"):
        yield payload["content"]
    for embed in payload.get("embeds") or []:
        for key in ("title", "description"):
            if embed.get(key):
                yield embed[key]
        for field in embed.get("fields") or []:
            yield str(field.get("name", ""))
            yield str(field.get("value", ""))
        if embed.get("footer"):
            yield str(embed["footer"].get("text", ""))
        if embed.get("author"):
            yield str(embed["author"].get("name", ""))


def embeds_problems(embeds: list[dict[str, Any]], *, where: str) -> list[str]:
    problems: list[str] = []
    if len(embeds) > EMBEDS_MAX:
        problems.append(f"{where}: {len(embeds)} embeds (max {EMBEDS_MAX})")
    total = 0
    for index, embed in enumerate(embeds):
        at = f"{where}: embed {index}"
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        if len(title) > EMBED_TITLE_MAX:
            problems.append(f"{at}: title has {len(title)} characters (max {EMBED_TITLE_MAX})")
        if len(description) > EMBED_DESCRIPTION_MAX:
            problems.append(f"{at}: description has {len(description)} characters (max {EMBED_DESCRIPTION_MAX})")
        total += len(title) + len(description)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(f"{at}: {len(fields)} fields (max {EMBED_FIELDS_MAX})")
        for number, field in enumerate(fields):
            name, value = str(field.get("name", "")), str(field.get("value", ""))
            if not name.strip() or not value.strip():
                problems.append(f"{at}: field {number} has an empty name or value")
            if len(name) > FIELD_NAME_MAX:
                problems.append(f"{at}: field {number} name has {len(name)} characters (max {FIELD_NAME_MAX})")
            if len(value) > FIELD_VALUE_MAX:
                problems.append(f"{at}: field {number} value has {len(value)} characters (max {FIELD_VALUE_MAX})")
            total += len(name) + len(value)
        footer = (embed.get("footer") or {}).get("text") or ""
        if len(footer) > FOOTER_MAX:
            problems.append(f"{at}: footer has {len(footer)} characters (max {FOOTER_MAX})")
        author = (embed.get("author") or {}).get("name") or ""
        if len(author) > AUTHOR_MAX:
            problems.append(f"{at}: author has {len(author)} characters (max {AUTHOR_MAX})")
        total += len(footer) + len(author)
        if not (title or description or fields):
            problems.append(f"{at}: empty embed")
    if total > EMBEDS_TOTAL_MAX:
        problems.append(f"{where}: {total} characters across embeds (max {EMBEDS_TOTAL_MAX})")
    return problems


def components_problems(rows: list[dict[str, Any]], *, where: str) -> list[str]:
    problems: list[str] = []
    if len(rows) > ACTION_ROWS_MAX:
        problems.append(f"{where}: {len(rows)} action rows (max {ACTION_ROWS_MAX})")
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if row.get("type") != 1:
            problems.append(f"{where}: top-level component {index} is type {row.get('type')}, not an action row")
            continue
        children = row.get("components") or []
        if not 1 <= len(children) <= ROW_COMPONENTS_MAX:
            problems.append(f"{where}: action row {index} has {len(children)} components (1 to {ROW_COMPONENTS_MAX})")
        for child in children:
            if child.get("type") != 2:
                continue
            label = child.get("label") or ""
            if len(label) > BUTTON_LABEL_MAX:
                problems.append(f"{where}: button label has {len(label)} characters (max {BUTTON_LABEL_MAX})")
            if not label and not child.get("emoji"):
                problems.append(f"{where}: button has neither label nor emoji")
            if child.get("style") == 5:
                continue
            custom_id = child.get("custom_id") or ""
            if not 1 <= len(custom_id) <= CUSTOM_ID_MAX:
                problems.append(f"{where}: custom_id {custom_id!r} is not 1 to {CUSTOM_ID_MAX} characters")
            if custom_id in seen:
                problems.append(f"{where}: custom_id {custom_id!r} is used twice")
            seen.add(custom_id)
    return problems


def command_problems(command: dict[str, Any], *, where: str) -> list[str]:
    problems: list[str] = []
    name = command.get("name", "")
    if not COMMAND_NAME.match(name) or name != name.lower():
        problems.append(f"{where}: command name {name!r} is not 1-32 lowercase characters")
    if command.get("type", 1) == 1:
        problems += _option_list_problems(command, where=f"{where} /{name}")
    return problems


def _option_list_problems(node: dict[str, Any], *, where: str) -> list[str]:
    problems: list[str] = []
    description = node.get("description", "")
    if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
        problems.append(f"{where}: description has {len(description)} characters (1 to {COMMAND_DESCRIPTION_MAX})")
    options = node.get("options") or []
    if len(options) > COMMAND_OPTIONS_MAX:
        problems.append(f"{where}: {len(options)} options (max {COMMAND_OPTIONS_MAX})")
    required_done = False
    for option in options:
        at = f"{where} {option.get('name')}"
        if not COMMAND_NAME.match(option.get("name", "")):
            problems.append(f"{at}: bad option name")
        if option.get("type") in (1, 2):
            problems += _option_list_problems(option, where=at)
            continue
        if not 1 <= len(option.get("description", "")) <= COMMAND_DESCRIPTION_MAX:
            problems.append(f"{at}: description length")
        if option.get("required"):
            if required_done:
                problems.append(f"{at}: a required option after an optional one")
        else:
            required_done = True
        choices = option.get("choices") or []
        if choices and option.get("autocomplete"):
            problems.append(f"{at}: choices and autocomplete together")
        problems += choices_problems(choices, where=at)
    return problems


def choices_problems(choices: list[dict[str, Any]], *, where: str) -> list[str]:
    problems: list[str] = []
    if len(choices) > CHOICES_MAX:
        problems.append(f"{where}: {len(choices)} choices (max {CHOICES_MAX})")
    for choice in choices:
        if not 1 <= len(str(choice.get("name", ""))) <= CHOICE_NAME_MAX:
            problems.append(f"{where}: choice name {choice.get('name')!r} length")
        value = choice.get("value")
        if isinstance(value, str) and not 1 <= len(value) <= CHOICE_VALUE_MAX:
            problems.append(f"{where}: choice value {value!r} length")
    return problems


def thread_name_problems(name: str | None, *, where: str) -> list[str]:
    if not name or not 1 <= len(name) <= THREAD_NAME_MAX:
        return [f"{where}: thread name {name!r} is not 1 to {THREAD_NAME_MAX} characters"]
    return [f"{where}: unescaped mention {ping!r} in thread name" for ping in pings(name)]
