"""`python -m bench`: run every benchmark and print one table."""

from __future__ import annotations

import asyncio
import resource

from rich.console import Console

from bench.core_bench import core_rows
from bench.discord_clicks import discord_rows
from bench.slack_clicks import slack_rows
from bench.table import Row, print_table


def _peak_memory_row() -> Row:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Row("peak resident memory of the run above", f"{peak_mb:.0f} MB", "", "< 150 MB", peak_mb < 150)


def main() -> None:
    console = Console(soft_wrap=True)
    rows = asyncio.run(core_rows())
    rows.append(_peak_memory_row())
    # The platform bursts come after the memory reading: their load generators share this process.
    rows += asyncio.run(discord_rows())
    rows += asyncio.run(slack_rows())
    print_table(rows, console)


if __name__ == "__main__":
    main()
