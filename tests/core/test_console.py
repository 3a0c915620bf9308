"""`casebook play` with scripted answers on a pipe, and `casebook run` with nothing configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _casebook(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DISCORD_", "SLACK_"))}
    env.update({"CASEBOOK_DB_PATH": str(tmp_path / "console.sqlite3"), "COLUMNS": "200",
                "PYTHONPATH": str(REPO)})
    return subprocess.run(
        [sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main())", *args],
        input=stdin, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )


def test_piped_answers_play_the_whole_loop(tmp_path: Path) -> None:
    result = _casebook(["play", "--seed", "3"], "B\nC\nreveal\nleaderboard all\nstats\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Dilemma #1" in out
    assert "You chose B" in out and "You chose C (changed from B)" in out
    assert "Best answer:" in out and "References:" in out and "ACA " in out
    assert out.count("reasoning") == 0  # reasoning is shown as text, not as a field name
    assert "Leaderboard" in out and "you" in out
    assert "Goodbye" in out


def test_eof_right_away_ends_cleanly(tmp_path: Path) -> None:
    result = _casebook(["play"], "", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Goodbye" in result.stdout


def test_run_without_platforms_says_so_and_starts_the_console(tmp_path: Path) -> None:
    result = _casebook(["run"], "A\nnext\nquit\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No chat platform is configured" in result.stderr
    assert "DISCORD_TOKEN" in result.stderr
    assert "Dilemma #2" in result.stdout


def test_bad_configuration_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CASEBOOK_LOG_LEVEL=LOUD\n")
    result = _casebook(["run"], "", tmp_path)
    assert result.returncode == 2
    assert "CASEBOOK_LOG_LEVEL" in result.stderr


def test_play_on_a_schedule_shows_it_and_waits_for_its_time(tmp_path: Path) -> None:
    result = _casebook(["play", "--schedule", "09:00", "--reveal", "20:00", "--tz", "America/Chicago"], "",
                       tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Posts at 09:00, reveals 20:00 (America/Chicago)" in result.stdout
    assert "next post" in result.stdout


def test_play_refuses_a_bad_schedule(tmp_path: Path) -> None:
    result = _casebook(["play", "--schedule", "25:00"], "", tmp_path)
    assert result.returncode == 2
    assert "24-hour time" in result.stderr
