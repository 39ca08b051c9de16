"""docs/deployment.md stays in step with the deployment files."""

from __future__ import annotations

import re

from .helpers import DEPLOY, REPO, dockerfile_instructions, env_example, services

DOCS = REPO / "docs" / "deployment.md"


def variables_read_by_the_deploy_scripts() -> set[str]:
    names: set[str] = set()
    for script in ("entrypoint.sh", "wait_for_db.py", "gunicorn.conf.py", "healthcheck.py"):
        text = (DEPLOY / script).read_text()
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-", text))
        names |= set(re.findall(r"""(?:environ\.get|_int|_str)\(\s*["']([A-Z][A-Z0-9_]*)["']""", text))
    return names


def test_every_variable_the_deploy_scripts_read_is_documented():
    names = variables_read_by_the_deploy_scripts()
    assert {"RADCASE_MIGRATE_ON_START", "GUNICORN_WORKERS", "CELERY_INFERENCE_CONCURRENCY"} <= names
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", DOCS.read_text(), re.M))
    missing = names - documented - set(env_example())
    assert not missing, (
        f"read by deploy/ but neither in docs/deployment.md nor .env.example: {sorted(missing)}")


def test_every_build_argument_is_documented():
    text = DOCS.read_text()
    for instr, args in dockerfile_instructions():
        if instr == "ARG" and not args.startswith("DEBIAN_FRONTEND"):
            assert f"`{args.partition('=')[0]}`" in text, args


def test_every_service_and_volume_is_described():
    text = DOCS.read_text()
    for name in services():
        assert f"`{name}`" in text, name
    for volume in ("postgres-data", "redis-data", "media", "static", "certs"):
        assert f"`{volume}`" in text, volume


def test_every_repository_path_the_docs_name_exists():
    named = r"`((?:deploy|docs)/[\w./-]+|docker-compose\.yml|nginx\.conf)`"
    for path in set(re.findall(named, DOCS.read_text())):
        assert (REPO / path).exists(), path
