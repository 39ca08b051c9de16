"""Starts a real Celery worker process against the test database and broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from config.celery import app
from tests.conftest import REPO_ROOT


def _test_database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@contextmanager
def running_worker(queues: str = "default,inference,reports",
                   timeout_s: float = 60) -> Iterator[subprocess.Popen]:
    """A `celery worker` subprocess consuming `queues`, ready when yielded.

    The caller's tasks must be sent to the broker, not run eagerly, so
    `app.conf.task_always_eager` is switched off for the duration."""
    env = {**os.environ, "DATABASE_URL": _test_database_url(),
           "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'platform'}"}
    name = f"pytest-{os.getpid()}@localhost"
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"{name}.log"), "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues,
         "--pool", "solo", "-n", name, "--without-mingle", "--without-gossip",
         "--loglevel", "INFO"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + timeout_s
        while not app.control.ping(destination=[name], timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start; see {log.name}")
        yield proc
    finally:
        app.conf.task_always_eager = was_eager
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
