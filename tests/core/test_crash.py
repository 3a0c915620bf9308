"""A real crash: SIGKILL a process mid-burst of votes; every vote it confirmed must be in the store."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run_and_kill(db_path: Path, seed: int, kill_after_lines: int) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.core.crash_voter", str(db_path), str(seed)],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env=env,
    )
    assert child.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if len(lines) >= kill_after_lines:
            child.send_signal(signal.SIGKILL)
            break
    lines += [line.strip() for line in child.stdout.read().splitlines()]
    child.wait(timeout=30)
    return lines


def test_no_confirmed_vote_is_lost_when_the_process_is_killed(tmp_path: Path) -> None:
    db_path = tmp_path / "crash.sqlite3"
    rng = random.Random(2024)
    confirmed_total = 0
    for round_number in range(1, 6):
        lines = _run_and_kill(db_path, round_number, rng.randint(50, 900))
        attempts: dict[str, list[str]] = {}
        confirmed: dict[str, str] = {}
        post_id = None
        for line in lines:
            kind, *rest = line.split()
            if kind == "post":
                post_id = int(rest[0])
            elif kind == "try":
                attempts.setdefault(rest[0], []).append(rest[1])
            elif kind == "ok":
                confirmed[rest[0]] = rest[1]
        assert post_id is not None
        with sqlite3.connect(db_path) as db:
            stored = dict(db.execute(
                "SELECT m.user_id, v.choice FROM votes v JOIN members m ON m.id = v.member_id WHERE v.post_id = ?",
                (post_id,),
            ).fetchall())
        for index, choice in confirmed.items():
            user = f"m{index}"
            assert user in stored, f"round {round_number}: confirmed vote of {user} was lost"
            tried = attempts[index]
            later = tried[len(tried) - 1 - tried[::-1].index(choice):]
            assert stored[user] in later, f"round {round_number}: {user} holds {stored[user]}, confirmed {choice}"
        confirmed_total += len(confirmed)
    assert confirmed_total > 0
