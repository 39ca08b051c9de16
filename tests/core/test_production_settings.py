"""Production settings refuse to start without their secrets and pass check --deploy."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

SECRETS = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "radcase.example.org",
    "RADCASE_DEID_UID_SECRET": secrets.token_urlsafe(32),
}


def _manage(*args: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in SECRETS and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_overrides})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_refuses_to_start_without(missing):
    result = _manage("check", env_overrides={k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_refuses_a_jwt_key_equal_to_the_secret_key():
    result = _manage("check", env_overrides={**SECRETS, "JWT_SIGNING_KEY": SECRETS["SECRET_KEY"]})
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ" in result.stderr


def test_production_passes_check_deploy_at_warning_level():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=SECRETS)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_logs_json_lines():
    code = ("import django, logging; django.setup(); from django.conf import settings; "
            "print(settings.LOGGING['handlers']['console']['formatter'], settings.DEBUG)")
    env = {**{k: v for k, v in os.environ.items() if k not in SECRETS}, **SECRETS,
           "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'platform'}"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["json", "False"], result.stderr
