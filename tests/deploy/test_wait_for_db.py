"""deploy/wait_for_db.py: the entrypoint's wait for the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from .helpers import DEPLOY


def run(tmp_path, database_url: str, wait_s: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "RADCASE_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url,
               RADCASE_DB_WAIT_S=wait_s, RADCASE_VAR_DIR=str(tmp_path))
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(DEPLOY / "wait_for_db.py")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    return result, time.monotonic() - started


def test_returns_at_once_when_the_database_answers(tmp_path):
    result, took = run(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", "30")
    assert result.returncode == 0, result.stderr
    assert took < 20


def test_gives_up_after_the_wait_with_the_reason(tmp_path):
    # nothing listens on port 1: connection refused on every attempt
    result, took = run(tmp_path, "postgres://radcase:secret@127.0.0.1:1/radcase", "2")
    assert result.returncode == 1
    assert "database unreachable after 2s" in result.stderr
    assert "waiting for the database" in result.stderr
    assert took >= 2


def test_finds_the_project_without_pythonpath(tmp_path):
    # run from outside the checkout, with no PYTHONPATH: the script puts the
    # repository root and platform/ on sys.path itself
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",) and not k.startswith("DATABASE_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", RADCASE_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, str(DEPLOY / "wait_for_db.py")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
