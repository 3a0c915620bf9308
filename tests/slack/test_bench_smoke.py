"""The click benchmark still runs end to end (tiny, and without judging speed: benchmarks are not tests)."""

from __future__ import annotations

from bench.slack_clicks import slack_rows


async def test_the_click_bench_runs_and_loses_nothing() -> None:
    rows = await slack_rows(clicks=60)
    assert len(rows) == 6
    lost_rows = [row for row in rows if "lost" in row.name]
    assert len(lost_rows) == 2 and all(row.met for row in lost_rows), lost_rows
    assert all(row.figure.startswith("0 lost, 60 confirmed") for row in lost_rows)
