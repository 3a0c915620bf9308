"""The one table every benchmark prints into."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    name: str
    figure: str
    beside: str
    target: str
    met: bool


def print_table(rows: list[Row], console: Console) -> None:
    table = Table(title="Casebook benchmarks (this machine)", title_justify="left")
    for column in ("measure", "figure", "beside it", "target", "met"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.name, row.figure, row.beside, row.target, "yes" if row.met else "NO")
    console.print(table)
