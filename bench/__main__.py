"""`python -m bench`: run every benchmark and print one table."""

from __future__ import annotations

import asyncio
import gc
import resource
from pathlib import Path

from rich.console import Console

from bench.core_bench import core_rows
from bench.discord_clicks import discord_rows
from bench.slack_clicks import slack_rows
from bench.table import Row, print_table


def _memory_row() -> Row:
    """Resident memory with everything above still loaded, beside the run's peak."""
    gc.collect()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = Path("/proc/self/status").read_text().splitlines()
    resident_mb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    return Row("resident memory after the rows above", f"{resident_mb:.0f} MB", f"peak {peak_mb:.0f} MB",
               "< 150 MB", resident_mb < 150)


def main() -> None:
    console = Console(soft_wrap=True)
    rows = asyncio.run(core_rows())
    rows.append(_memory_row())
    # The platform bursts come after the memory reading: their load generators share this process.
    rows += asyncio.run(discord_rows())
    rows += asyncio.run(slack_rows())
    print_table(rows, console)


if __name__ == "__main__":
    main()
