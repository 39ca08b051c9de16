"""deploy/entrypoint.sh: roles checked with stand-in commands, then the web
and worker roles started for real (production settings, SQLite, and a Redis
broker where one is configured)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from .helpers import DEPLOY, ENTRYPOINT, REPO, deploy_module, entrypoint_roles, free_port, services

EXECUTABLE_SCRIPTS = (
    "deploy/entrypoint.sh", "deploy/gen-self-signed-cert.sh", "deploy/postgres-entrypoint.sh")
REQUIRE_SERVICES = os.environ.get("RADCASE_REQUIRE_SERVICES") == "1"
VENV_BIN = Path(sys.executable).parent

STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "$STUB_LOG"
echo "pid $$" >> "$STUB_LOG.pid"
case "$*" in *wait_for_db.py*) [ "${STUB_DB_DOWN:-0}" = 1 ] && exit 1 ;; esac
exit 0
"""


def test_entrypoint_passes_bash_syntax_check():
    result = subprocess.run(["bash", "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", EXECUTABLE_SCRIPTS)
def test_scripts_are_executable_in_git(script):
    listed = subprocess.run(["git", "ls-files", "--stage", "--", script], cwd=REPO,
                            capture_output=True, text=True).stdout
    if not listed:
        pytest.skip(f"{script} is not committed yet")
    assert listed.split()[0] == "100755", f"{script}: git update-index --chmod=+x {script}"
    assert os.access(REPO / script, os.X_OK)


@pytest.mark.skipif(not shutil.which("shellcheck"),
                    reason="shellcheck not installed (apt-get install shellcheck)")
@pytest.mark.parametrize("script", EXECUTABLE_SCRIPTS)
def test_scripts_pass_shellcheck(script):
    result = subprocess.run(["shellcheck", str(REPO / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# --- roles, with stand-ins for python, gunicorn and celery ---------------------------

@pytest.fixture
def stubs(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python", "gunicorn", "celery"):
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"

    def run(*args: str, **env: str) -> tuple[subprocess.CompletedProcess, list[str], int, int]:
        """(result, calls made to the stand-ins, pid of the last stand-in, pid started)"""
        environ = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STUB_LOG": str(log), "HOME": str(tmp_path), **env}
        proc = subprocess.Popen(["bash", str(ENTRYPOINT), *args], env=environ, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate(timeout=30)
        calls = log.read_text().splitlines() if log.exists() else []
        pids = Path(f"{log}.pid").read_text().split() if calls else []
        log.unlink(missing_ok=True)
        Path(f"{log}.pid").unlink(missing_ok=True)
        result = subprocess.CompletedProcess(args, proc.returncode, out, err)
        return result, calls, (int(pids[-1]) if pids else 0), proc.pid

    return run


WAIT = f"python {DEPLOY}/wait_for_db.py"
COLLECT = "python manage.py collectstatic --noinput --verbosity 0"
MIGRATE = "python manage.py migrate --noinput"


def test_web_waits_for_the_database_collects_static_and_execs_gunicorn(stubs):
    result, calls, last_pid, pid = stubs("web", "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert calls == [WAIT, COLLECT,
                     f"gunicorn --config {DEPLOY}/gunicorn.conf.py --workers 2 config.wsgi:application"]
    assert last_pid == pid, "gunicorn must replace the shell (exec) to receive signals"


def test_web_migrates_first_only_when_asked(stubs):
    _, calls, _, _ = stubs("web", RADCASE_MIGRATE_ON_START="1")
    assert calls[:3] == [WAIT, MIGRATE, COLLECT]
    _, calls, _, _ = stubs("web", RADCASE_MIGRATE_ON_START="0")
    assert MIGRATE not in calls


def test_no_role_means_web(stubs):
    _, calls, _, _ = stubs()
    assert calls[-1].startswith("gunicorn --config")


def test_web_does_not_start_when_the_database_stays_down(stubs):
    result, calls, _, _ = stubs("web", STUB_DB_DOWN="1")
    assert result.returncode != 0
    assert calls == [WAIT]


def celery_args(call: str) -> dict[str, str]:
    words = call.split()
    assert words[:4] == ["celery", "-A", "config", "worker"], call
    opts = {}
    for i, w in enumerate(words):
        if w.startswith("--"):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            opts[w] = "" if nxt.startswith("--") or not nxt else nxt
    return opts


@pytest.mark.parametrize(("role", "queues", "node", "concurrency_var", "default"), [
    ("worker-inference", "inference", "inference", "CELERY_INFERENCE_CONCURRENCY", "1"),
    ("worker-reports", "reports,default", "reports", "CELERY_REPORTS_CONCURRENCY", "2"),
])
def test_worker_roles_consume_their_queues(stubs, role, queues, node, concurrency_var, default):
    result, calls, last_pid, pid = stubs(role)
    assert result.returncode == 0, result.stderr
    assert calls[0] == WAIT
    opts = celery_args(calls[-1])
    assert opts["--queues"] == queues
    assert opts["--hostname"] == f"{node}@%h"
    assert opts["--concurrency"] == default
    assert "--without-mingle" in opts and "--without-gossip" in opts
    assert last_pid == pid, "celery must replace the shell (exec)"
    _, calls, _, _ = stubs(role, "--max-tasks-per-child", "50", **{concurrency_var: "3"})
    opts = celery_args(calls[-1])
    assert opts["--concurrency"] == "3" and opts["--max-tasks-per-child"] == "50"


def test_the_workers_together_consume_every_queue_the_settings_declare(stubs):
    consumed = set()
    for role in ("worker-inference", "worker-reports"):
        _, calls, _, _ = stubs(role)
        consumed |= set(celery_args(calls[-1])["--queues"].split(","))
    assert consumed == {q.name for q in settings.CELERY_TASK_QUEUES}


def test_migrate_role_migrates_and_exits(stubs):
    result, calls, _, _ = stubs("migrate")
    assert result.returncode == 0
    assert calls == [WAIT, MIGRATE]


def test_any_other_command_is_run_as_given(stubs):
    result, calls, _, _ = stubs("echo", "hello", "world")
    assert result.stdout == "hello world\n" and calls == []
    result, _, _, _ = stubs("sh", "-c", "exit 7")
    assert result.returncode == 7


def test_the_roles_documented_in_the_header_are_the_roles_handled():
    header = ENTRYPOINT.read_text().split("set -euo pipefail")[0]
    documented = set(re.findall(r"^#\s{3}([a-z][a-z-]+)\s{2,}", header, re.M))
    assert documented == entrypoint_roles() == {"web", "worker-inference", "worker-reports", "migrate"}


# --- the roles started for real ----------------------------------------------------

def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RADCASE_", "DATABASE_", "REDIS_", "CELERY_", "GUNICORN_", "DJANGO_"))}
    env.update({
        "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": f"{REPO}:{REPO / 'platform'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "deploy-test-secret-" + "s" * 50,
        "JWT_SIGNING_KEY": "deploy-test-jwt-" + "j" * 50,
        "RADCASE_DEID_UID_SECRET": "deploy-test-deid",
        "ALLOWED_HOSTS": "radcase.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'radcase.sqlite3'}",
        "RADCASE_VAR_DIR": str(tmp_path / "var"),
        "RADCASE_MEDIA_ROOT": str(tmp_path / "media"),
        "RADCASE_STATIC_ROOT": str(tmp_path / "static"),
        "RADCASE_X_ACCEL_REDIRECT_PREFIX": "/protected-media/",
        "RADCASE_LOG_LEVEL": "WARNING",
        "RADCASE_DB_WAIT_S": "5",
    })
    env.update(extra)
    return env


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the process ignored SIGTERM for 60 s")


def test_web_role_boots_gunicorn_under_production_settings(tmp_path):
    check = deploy_module("healthcheck").check
    port = free_port()
    env = production_env(tmp_path, RADCASE_MIGRATE_ON_START="1", GUNICORN_BIND=f"127.0.0.1:{port}",
                         GUNICORN_WORKERS="1", GUNICORN_THREADS="2")
    log = (tmp_path / "web.log").open("w")
    proc = subprocess.Popen(["bash", str(ENTRYPOINT), "web"], env=env, cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            ok, detail = check(port, "radcase.example.org")
            if detail[:3] in ("200", "503"):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"web did not answer /health/ ({detail}):\n{(tmp_path / 'web.log').read_text()}")
            time.sleep(0.5)
        status, body = detail.split(" ", 1)
        checks = json.loads(body)["checks"]
        assert checks["database"]["ok"], checks
        # 503 only for the model when no checkpoint is present in this checkout
        down = {name for name, c in checks.items() if not c["ok"]}
        assert down <= {"model"}, checks
        assert (status == "200") == ok == (not down)
        assert (tmp_path / "static" / "css" / "radcase.css").is_file(), "collectstatic did not run"
        assert (tmp_path / "radcase.sqlite3").is_file(), "RADCASE_MIGRATE_ON_START=1 did not migrate"
    finally:
        code = stop(proc)
        log.close()
    assert code == 0, (tmp_path / "web.log").read_text()


def _broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    why = None
    if not url.startswith("redis://"):
        why = "needs a Redis broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/1"
    else:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError as exc:
            why = f"needs the Redis broker at {url}: {exc}"
    if why:
        if REQUIRE_SERVICES:
            pytest.fail(f"RADCASE_REQUIRE_SERVICES=1 but this test {why}")
        pytest.skip(why)
    # A database number of its own, so this worker never takes the suite's tasks.
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/13"))


@pytest.mark.parametrize("role", ["worker-inference", "worker-reports"])
def test_worker_role_answers_the_compose_healthcheck_and_stops_on_sigterm(tmp_path, role):
    broker = _broker_url()
    env = production_env(tmp_path, CELERY_BROKER_URL=broker, HOSTNAME=socket.gethostname())
    subprocess.run([sys.executable, str(REPO / "manage.py"), "migrate", "--noinput", "-v", "0"],
                   env=env, cwd=REPO, check=True, capture_output=True)
    healthcheck = services()[role]["healthcheck"]["test"]
    assert healthcheck[0] == "CMD-SHELL"
    command = healthcheck[1].replace("$$", "$")  # compose's escape for a literal $
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(["bash", str(ENTRYPOINT), role], env=env, cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            probe = subprocess.run(["sh", "-c", command], env=env, cwd=REPO, capture_output=True, text=True)
            if probe.returncode == 0:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{role} never answered `{command}`: {probe.stderr}\n"
                            f"{(tmp_path / 'worker.log').read_text()}")
            time.sleep(1)
    finally:
        code = stop(proc)
        log.close()
    assert code == 0, (tmp_path / "worker.log").read_text()
