"""The `casebook` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from rich.console import Console

from bot.bank_loader import InvalidBank, load_bank
from bot.content_cli import export_json, run_check, run_show, run_stats
from bot.settings import Settings, describe_errors


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casebook", description="A daily ethics dilemma for study groups.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start every configured platform (the console when none is)")
    play = commands.add_parser("play", help="play the daily loop in this terminal")
    play.add_argument("--schedule", metavar="HH:MM", help="post at this local time every day, then reveal")
    play.add_argument("--reveal", metavar="HH:MM", help="with --schedule: reveal at this local time")
    play.add_argument("--tz", default=None, help="IANA time zone for --schedule (default: this machine's)")
    play.add_argument("--members", type=int, default=5, help="simulated members who vote too (default 5)")
    play.add_argument("--seed", type=int, default=None, help="seed for the simulated members and the draw")
    content = commands.add_parser("content", help="check, count, show or export the scenario bank")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    content_commands.add_parser("check", help="validate every pack; non-zero exit on any problem")
    stats = content_commands.add_parser("stats", help="counts by pack, topic, difficulty and exam")
    stats.add_argument("--json", action="store_true", help="print JSON")
    show = content_commands.add_parser("show", help="print one dilemma")
    show.add_argument("id")
    export = content_commands.add_parser("export", help="print the whole bank")
    export.add_argument("--format", choices=["json"], default="json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        settings = Settings()
    except ValidationError as error:
        err.print(f"Configuration error:\n{describe_errors(error)}", markup=False)
        return 2
    if args.command == "content":
        return _content(args, settings, console, err)
    try:
        bank = load_bank(settings.casebook_content_dirs)
    except InvalidBank as invalid:
        err.print(f"The scenario bank is invalid; fix these files first:\n{invalid}", markup=False)
        return 2
    from adapters.app import run_configured, run_play

    if args.command == "play":
        return run_play(settings, bank, args)
    return run_configured(settings, bank)


def _content(args: argparse.Namespace, settings: Settings, console: Console, err: Console) -> int:
    if args.content_command == "check":
        return run_check(settings.casebook_content_dirs, console)
    try:
        bank = load_bank(settings.casebook_content_dirs)
    except InvalidBank as invalid:
        err.print(f"The scenario bank is invalid (run `casebook content check`):\n{invalid}", markup=False)
        return 1
    if args.content_command == "stats":
        return run_stats(bank, console, args.json)
    if args.content_command == "show":
        return run_show(bank, args.id, console)
    sys.stdout.write(export_json(bank) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
