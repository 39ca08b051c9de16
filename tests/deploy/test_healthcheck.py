"""deploy/healthcheck.py: the web container's health check."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .helpers import DEPLOY, deploy_module, free_port, services

healthcheck = deploy_module("healthcheck")


@pytest.mark.parametrize(("allowed", "host"), [
    ("radcase.example.org,localhost", "radcase.example.org"),
    (" .example.org", "example.org"),  # Django: ".example.org" allows example.org too
    ("*,radcase.example.org", "radcase.example.org"),
    ("*", "localhost"),
    ("", "localhost"),
])
def test_the_host_header_is_one_that_allowed_hosts_accepts(allowed, host):
    assert healthcheck.health_host(allowed) == host


@pytest.mark.parametrize(("bind", "port"), [("0.0.0.0:8000", 8000), ("[::]:9001", 9001),
                                            ("127.0.0.1:8123,[::1]:8123", 8123), ("unix:/run/g.sock", 8000)])
def test_the_port_comes_from_the_gunicorn_bind(bind, port):
    assert healthcheck.bind_port(bind) == port


class App(BaseHTTPRequestHandler):
    status = 200
    seen: list[dict[str, str]] = []

    def do_GET(self):
        App.seen.append({"path": self.path, **dict(self.headers)})
        body = b'{"status": "ok"}'
        self.send_response(App.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def app():
    App.seen, App.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def run_script(port: int, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "GUNICORN_BIND": f"0.0.0.0:{port}", **env}
    return subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py")], env=environ,
                          capture_output=True, text=True, timeout=30)


def test_healthy_when_the_app_answers_200_to_a_request_as_nginx_sends_it(app):
    result = run_script(app, ALLOWED_HOSTS="radcase.example.org")
    assert result.returncode == 0, result.stderr
    (request,) = App.seen
    assert request["path"] == "/health/"
    assert request["Host"] == "radcase.example.org"
    assert request["X-Forwarded-Proto"] == "https"


def test_unhealthy_when_the_app_answers_503(app):
    App.status = 503
    result = run_script(app, ALLOWED_HOSTS="radcase.example.org")
    assert result.returncode == 1 and "503" in result.stderr


def test_unhealthy_when_nothing_listens():
    result = run_script(free_port())
    assert result.returncode == 1 and "Connection" in result.stderr


def test_compose_runs_this_script_for_web():
    assert services()["web"]["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py"]
