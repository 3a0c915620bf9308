"""`casebook content check | stats | show | export`: the bank from the command line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.bank_loader import check_bank
from bot.scenarios import Bank, Dilemma


def run_check(extra_dirs: list[Path], console: Console) -> int:
    bank, problems = check_bank(extra_dirs)
    for problem in problems:
        console.print(str(problem), markup=False, highlight=False)
    if problems:
        console.print(f"{len(problems)} problem(s) in the bank", style="red")
        return 1
    console.print(f"ok: {len(bank.dilemmas)} dilemmas in {len(bank.packs)} pack(s), "
                  f"{len(bank.codes)} codes", highlight=False)
    return 0


def bank_stats(bank: Bank) -> dict[str, Any]:
    dilemmas = list(bank.dilemmas.values())
    exams: Counter[str] = Counter(exam for d in dilemmas for exam in d.exams)
    by_pack_topic: dict[str, dict[str, int]] = {}
    for d in dilemmas:
        topics = by_pack_topic.setdefault(d.pack, {})
        topics[d.topic] = topics.get(d.topic, 0) + 1
    return {
        "total": len(dilemmas),
        "packs": dict(sorted(Counter(d.pack for d in dilemmas).items())),
        "topics": dict(sorted(Counter(d.topic for d in dilemmas).items())),
        "pack_topics": {pack: dict(sorted(t.items())) for pack, t in sorted(by_pack_topic.items())},
        "difficulty": {str(k): v for k, v in sorted(Counter(d.difficulty for d in dilemmas).items())},
        "exams": dict(sorted(exams.items())),
        "best_letter": dict(sorted(Counter(d.best_letter for d in dilemmas).items())),
    }


def run_stats(bank: Bank, console: Console, as_json: bool) -> int:
    stats = bank_stats(bank)
    if as_json:
        console.print_json(json.dumps(stats))
        return 0
    console.print(f"{stats['total']} dilemmas")
    for heading in ("packs", "topics", "difficulty", "exams", "best_letter"):
        table = Table(title=heading.replace("_", " "), title_justify="left")
        table.add_column(heading)
        table.add_column("count", justify="right")
        for key, count in stats[heading].items():
            table.add_row(bank.topic_title(key) if heading == "topics" else key, str(count))
        console.print(table)
    return 0


def describe(bank: Bank, dilemma: Dilemma) -> str:
    lines = [
        f"{dilemma.id} · {dilemma.title}",
        f"pack {dilemma.pack} · {bank.topic_title(dilemma.topic)} · difficulty {dilemma.difficulty} · "
        f"{', '.join(dilemma.exams)}",
        "",
        dilemma.situation,
        "",
        dilemma.question,
    ]
    for letter, option in zip(dilemma.letters, dilemma.options, strict=True):
        marker = " (best)" if option.best else ""
        lines += [f"  {letter}. {option.text}{marker}", f"     {option.reasoning}"]
    lines += ["", f"Takeaway: {dilemma.takeaway}", f"Discuss: {dilemma.discussion}", "References:"]
    lines += [f"  {c.label} · {c.section_title} ({c.code_title})" for c in bank.citations(dilemma)]
    return "\n".join(lines)


def run_show(bank: Bank, dilemma_id: str, console: Console) -> int:
    dilemma = bank.dilemmas.get(dilemma_id)
    if dilemma is None:
        console.print(f"no dilemma with id '{dilemma_id}'", style="red", markup=False)
        return 1
    console.print(describe(bank, dilemma), markup=False, highlight=False)
    return 0


def export_json(bank: Bank) -> str:
    return json.dumps(
        {
            "packs": [pack.model_dump() for pack in bank.packs.values()],
            "topics": bank.topics,
            "codes": [code.model_dump() for code in bank.codes.values()],
            "dilemmas": [d.model_dump() for d in sorted(bank.dilemmas.values(), key=lambda d: d.id)],
        },
        indent=2,
        ensure_ascii=False,
    )
