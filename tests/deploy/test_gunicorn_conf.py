"""deploy/gunicorn.conf.py."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from unittest import mock

from .helpers import DEPLOY, REPO

GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"


def load_gunicorn_conf(environ: dict[str, str]) -> dict:
    """The module's settings as gunicorn would read them, under `environ`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    with mock.patch.dict(os.environ, {**clean, **environ}, clear=True):
        return runpy.run_path(str(GUNICORN_CONF))


def test_defaults_bind_every_interface_on_8000_with_a_long_timeout_and_no_access_log():
    conf = load_gunicorn_conf({})
    assert conf["bind"] == ["0.0.0.0:8000"]
    assert conf["wsgi_app"] == "config.wsgi:application"
    assert conf["workers"] >= 2 and conf["threads"] >= 1
    assert conf["timeout"] >= 300  # as long as nginx's proxy_read_timeout
    assert conf["accesslog"] is None  # the app logs one JSON line per request
    assert conf["errorlog"] == "-"
    assert conf["forwarded_allow_ips"] == "*"  # nginx's address on the compose network


def test_environment_variables_override_the_defaults():
    conf = load_gunicorn_conf({
        "GUNICORN_BIND": "127.0.0.1:9000", "GUNICORN_WORKERS": "7", "GUNICORN_THREADS": "2",
        "GUNICORN_TIMEOUT": "600", "GUNICORN_FORWARDED_ALLOW_IPS": "10.0.0.2",
        "GUNICORN_LOG_LEVEL": "warning",
    })
    assert conf["bind"] == ["127.0.0.1:9000"]
    assert (conf["workers"], conf["threads"], conf["timeout"]) == (7, 2, 600)
    assert conf["forwarded_allow_ips"] == "10.0.0.2"
    assert conf["loglevel"] == "warning"


def test_empty_variables_fall_back_to_the_defaults():
    conf = load_gunicorn_conf({"GUNICORN_WORKERS": "", "GUNICORN_BIND": ""})
    assert conf["workers"] == load_gunicorn_conf({})["workers"]
    assert conf["bind"] == ["0.0.0.0:8000"]


def test_gunicorn_accepts_the_file_and_loads_the_app_with_it():
    # --print-config implies --check-config, which imports config.wsgi:application.
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "GUNICORN_WORKERS": "5", "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "PYTHONPATH": f"{REPO}:{REPO / 'platform'}"}
    result = subprocess.run([str(gunicorn), "--print-config", "-c", str(GUNICORN_CONF)],
                            cwd=REPO, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    settings = {k.strip(): v.strip() for k, v in lines.items()}
    assert settings["workers"] == "5"
    assert settings["worker_class"] == "gthread"
    assert settings["accesslog"] == "None"
