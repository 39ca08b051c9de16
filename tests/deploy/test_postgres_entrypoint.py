"""deploy/postgres-entrypoint.sh: PostgreSQL's credentials from DATABASE_URL."""

from __future__ import annotations

import os
import subprocess

import environ
import pytest

from .helpers import DEPLOY

SCRIPT = DEPLOY / "postgres-entrypoint.sh"


def derive(database_url: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(["bash", str(SCRIPT), "print-env"], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("url", [
    "postgres://radcase:secret@postgres:5432/radcase",
    "postgresql://radcase:secret@postgres/radcase?sslmode=disable",
    r"postgres://rad%2Bcase:p%40ss%2Fw%3Ard%25x\y$z%20!@postgres:5432/radcase_db",
    "psql://u:p%3Aq@db.internal:6543/name",
])
def test_the_credentials_are_the_ones_django_reads_from_the_same_url(url):
    result = derive(url)
    assert result.returncode == 0, result.stderr
    derived = dict(line.split("=", 1) for line in result.stdout.splitlines())
    django = environ.Env.db_url_config(url)
    assert derived == {"POSTGRES_USER": django["USER"], "POSTGRES_PASSWORD": django["PASSWORD"],
                       "POSTGRES_DB": django["NAME"]}


@pytest.mark.parametrize(("url", "message"), [
    (None, "DATABASE_URL is not set"),
    ("", "DATABASE_URL is not set"),
    ("sqlite:///var/radcase.sqlite3", "must be a postgres:// URL"),
    ("postgres://postgres:5432/radcase", "USER:PASSWORD@"),
    ("postgres://radcase@postgres:5432/radcase", "needs a password"),
    ("postgres://radcase:secret@postgres:5432", "database name"),
    ("postgres://radcase:@postgres:5432/radcase", "empty password"),
])
def test_a_url_postgres_cannot_be_set_up_from_is_refused(url, message):
    result = derive(url)
    assert result.returncode == 64
    assert message in result.stderr


def test_the_healthcheck_mode_asks_pg_isready_as_that_user(tmp_path):
    stub = tmp_path / "pg_isready"
    stub.write_text('#!/bin/sh\necho "$@"\n')
    stub.chmod(0o755)
    result = subprocess.run(["bash", str(SCRIPT), "healthcheck"], capture_output=True, text=True,
                            env={"PATH": f"{tmp_path}:/usr/bin:/bin",
                                 "DATABASE_URL": "postgres://radcase:secret@postgres:5432/radcase"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["--quiet", "--host", "127.0.0.1", "--port", "5432",
                                     "--username", "radcase", "--dbname", "radcase"]


def test_the_server_starts_through_the_image_entrypoint_without_database_url(tmp_path):
    stub = tmp_path / "docker-entrypoint.sh"
    stub.write_text('#!/bin/sh\necho "args=$*"\n'
                    'echo "user=$POSTGRES_USER db=$POSTGRES_DB url=${DATABASE_URL:-unset}"\n')
    stub.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "DATABASE_URL": "postgres://radcase:secret@postgres:5432/rc"}
    result = subprocess.run(["bash", str(SCRIPT), "postgres", "-c", "max_connections=200"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["args=postgres -c max_connections=200",
                                          "user=radcase db=rc url=unset"]
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)
    assert result.stdout.splitlines()[0] == "args=postgres"


def test_run_gives_a_command_the_libpq_credentials_for_backups():
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://radcase:s%40cret@postgres:5432/rc"}
    result = subprocess.run(["bash", str(SCRIPT), "run", "sh", "-c",
                             'echo "$PGUSER $PGPASSWORD $PGDATABASE ${DATABASE_URL:-unset}"'],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "radcase s@cret rc unset\n"
    assert derive_with(env, "run").returncode == 64


def derive_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True)
