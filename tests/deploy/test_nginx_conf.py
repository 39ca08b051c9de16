"""nginx.conf: read statically, checked with `nginx -t`, and served for real
against a stand-in for the app when an nginx binary is installed."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from .helpers import (
    DEPLOY,
    NGINX_CONF,
    Directive,
    env_example,
    free_port,
    location,
    named_volume_mounts,
    nginx,
    nginx_servers,
    services,
)

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="no nginx binary here (apt-get install nginx-light)")


def http_block() -> Directive:
    return nginx().child("http")


def https_server() -> Directive:
    (server,) = nginx_servers(443)
    return server


def http_server() -> Directive:
    (server,) = nginx_servers(80)
    return server


def nginx_mount(volume: str) -> str:
    return named_volume_mounts(services()["nginx"])[volume]


# --- static checks ------------------------------------------------------------

def test_the_upload_limit_equals_radcase_max_upload_mb_in_env_example_and_settings():
    sizes = [d.args[0] for d in nginx().walk() if d.name == "client_max_body_size"]
    assert sizes, "nginx.conf sets no client_max_body_size (nginx's default is 1m)"
    expected = f"{settings.RADCASE_MAX_UPLOAD_MB}m"
    assert set(sizes) == {expected}, f"client_max_body_size {sizes} != RADCASE_MAX_UPLOAD_MB {expected}"
    assert env_example()["RADCASE_MAX_UPLOAD_MB"] == str(settings.RADCASE_MAX_UPLOAD_MB)


def test_protected_media_is_internal_at_the_prefix_compose_gives_the_app():
    prefix = services()["web"]["environment"]["RADCASE_X_ACCEL_REDIRECT_PREFIX"]
    loc = location(https_server(), prefix)
    assert loc.children("internal"), f"location {prefix} must be `internal`"
    assert loc.child("alias").args == [nginx_mount("media").rstrip("/") + "/"]


def test_no_other_location_exposes_the_media_volume():
    media = nginx_mount("media").rstrip("/")
    for d in nginx().walk():
        if d.name in ("alias", "root") and d.args[0].rstrip("/").startswith(media):
            loc = d.parent
            assert loc.name == "location" and loc.children("internal"), (
                f"`{d.name} {d.args[0]}` in a location that is not internal")
        assert not (d.name == "autoindex" and d.args == ["on"]), "autoindex on"
    # and nothing on plain HTTP maps files at all
    assert not [d for d in http_server().walk() if d.name in ("alias", "root")]


def test_the_token_endpoints_are_rate_limited_per_client_with_429():
    http = http_block()
    zones = {}
    for zone in http.children("limit_req_zone"):
        key, name = zone.args[0], next(a for a in zone.args if a.startswith("zone="))
        zones[name.split("=")[1].split(":")[0]] = key
    assert http.child("limit_req_status").args == ["429"]
    for path in ("/api/auth/token/", "/api/auth/token/refresh/"):
        loc = location(https_server(), "=", path)
        (limit,) = loc.children("limit_req")
        zone = next(a for a in limit.args if a.startswith("zone=")).split("=")[1]
        assert zones.get(zone) == "$binary_remote_addr", f"{path}: zone {zone} is not keyed by client address"
        assert loc.child("proxy_pass").args == ["http://radcase_web"]


def test_plain_http_redirects_to_https():
    root = location(http_server(), "/")
    (ret,) = root.children("return")
    assert ret.args[0] in ("301", "308") and ret.args[1].startswith("https://$host")


def test_https_uses_modern_tls_certificates_from_the_certs_volume_and_hsts():
    server = https_server()
    assert any("ssl" in listen.args for listen in server.children("listen"))
    protocols = set(http_block().child("ssl_protocols").args)
    assert protocols and protocols <= {"TLSv1.2", "TLSv1.3"}, protocols
    certs = nginx_mount("certs").rstrip("/") + "/"
    assert server.child("ssl_certificate").args[0].startswith(certs)
    assert server.child("ssl_certificate_key").args[0].startswith(certs)
    headers = {h.args[0]: h.args[1] for h in server.children("add_header")}
    assert re.match(r"max-age=\d{7,}", headers["Strict-Transport-Security"])


def test_the_upstream_is_the_web_service_on_the_gunicorn_port():
    from .test_gunicorn_conf import load_gunicorn_conf

    (upstream,) = [u for u in http_block().children("upstream") if u.args == ["radcase_web"]]
    (server,) = upstream.children("server")
    host, port = server.args[0].split(":")
    assert host in services() and host == "web"
    bind = load_gunicorn_conf({})["bind"][0]
    assert port == bind.rsplit(":", 1)[1], f"nginx -> {port}, gunicorn binds {bind}"
    nginx_networks = set(services()["nginx"]["networks"])
    assert nginx_networks & set(services()["web"]["networks"]), "nginx and web share no network"


def test_static_files_are_served_from_the_static_volume_with_caching():
    loc = location(https_server(), "/static/")
    assert loc.child("alias").args == [nginx_mount("static").rstrip("/") + "/"]
    assert loc.child("expires").args[0] not in ("off", "epoch")
    assert settings.STATIC_URL == "/static/"


def test_proxied_requests_carry_the_forwarded_headers():
    http = http_block()
    headers = {d.args[0]: d.args[1] for d in http.children("proxy_set_header")}
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] in ("$host", "$http_host")
    # a location with its own proxy_set_header would silently drop these
    for d in http.walk():
        if d.name == "proxy_set_header":
            assert d.parent is http, "set proxy headers once, at http level"
    for t in ("proxy_read_timeout", "proxy_send_timeout", "client_body_timeout"):
        seconds = int(http.child(t).args[0].rstrip("s"))
        assert seconds >= 300, f"{t} too short for large uploads"
    assert http.child("proxy_request_buffering").args == ["on"]


# --- nginx itself ---------------------------------------------------------------

def _nginx_version() -> tuple[int, ...]:
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr
    return tuple(int(x) for x in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out).groups())


def local_config(tmp: Path, *, p80: int, p443: int, upstream: int, max_body: str | None = None) -> Path:
    """nginx.conf adapted to run here: ports, paths and the upstream address
    replaced, and directives newer than the local nginx rewritten. Everything
    else (locations, limits, headers, TLS) is the file as shipped."""
    text = NGINX_CONF.read_text()
    version = _nginx_version()
    for sub in ("certs", "static", "media", "logs", "body", "proxy"):
        (tmp / sub).mkdir(exist_ok=True)
    subprocess.run(["sh", str(DEPLOY / "gen-self-signed-cert.sh"), str(tmp / "certs")],
                   check=True, capture_output=True, env={**os.environ, "ALLOWED_HOSTS": "localhost"})

    def sub(pattern: str, repl: str, count: int = 1) -> None:
        nonlocal text
        text, n = re.subn(pattern, repl, text, flags=re.M)
        assert n >= count, f"nginx.conf no longer contains {pattern!r}; update this test's adapter"

    sub(r"^user nginx;", "user root;" if os.geteuid() == 0 else "")
    sub(r"^pid .*;", f"pid {tmp}/nginx.pid;")
    sub(r"/var/log/nginx/", f"{tmp}/logs/", 2)
    sub(r"/etc/nginx/certs/", f"{tmp}/certs/", 2)
    sub(r"/srv/radcase/static/", f"{tmp}/static/")
    sub(r"/srv/radcase/media/", f"{tmp}/media/")
    sub(r"server web:8000 resolve;", f"server 127.0.0.1:{upstream};")
    sub(r"listen 80 default_server;", f"listen 127.0.0.1:{p80} default_server;")
    sub(r"listen 443 ssl default_server;", f"listen 127.0.0.1:{p443} ssl default_server;")
    if version < (1, 25, 1):  # `http2 on;` is 1.25.1+; older nginx has `listen ... http2`
        sub(r"^\s*http2 on;", "")
        sub(r"ssl default_server;", "ssl http2 default_server;")
    if max_body:
        sub(r"client_max_body_size \d+m;", f"client_max_body_size {max_body};")
    sub(r"^http \{", f"http {{\n    client_body_temp_path {tmp}/body;\n    proxy_temp_path {tmp}/proxy;")
    if not Path("/etc/nginx/mime.types").exists():
        (tmp / "mime.types").write_text("types { text/css css; }\n")
        sub(r"/etc/nginx/mime.types", f"{tmp}/mime.types")
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return conf


@needs_nginx
def test_nginx_accepts_the_configuration(tmp_path):
    conf = local_config(tmp_path, p80=free_port(), p443=free_port(), upstream=free_port())
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


class FakeApp(BaseHTTPRequestHandler):
    """Stands in for gunicorn: records what nginx forwards; the image-file
    view answers with X-Accel-Redirect as the real one does."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, dict[str, str]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        FakeApp.seen.append((self.command, self.path, dict(self.headers)))
        if self.path == "/api/images/7/file/":
            self.send_response(200)
            self.send_header("X-Accel-Redirect", "/protected-media/cases/scan.dcm")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Disposition", 'attachment; filename="scan.dcm"')
            self.send_header("Strict-Transport-Security", "max-age=1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def running_nginx(tmp_path):
    if NGINX is None:
        pytest.skip("no nginx binary here (apt-get install nginx-light)")
    if os.geteuid() != 0:
        pytest.skip("nginx's compiled-in temp paths need root to start it here")
    FakeApp.seen = []
    app = ThreadingHTTPServer(("127.0.0.1", 0), FakeApp)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    ports = {"p80": free_port(), "p443": free_port()}
    conf = local_config(tmp_path, upstream=app.server_address[1], max_body="1m", **ports)
    (tmp_path / "static" / "css").mkdir()
    (tmp_path / "static" / "css" / "site.css").write_text("body { color: black }\n" * 100)
    (tmp_path / "media" / "cases").mkdir()
    (tmp_path / "media" / "cases" / "scan.dcm").write_bytes(b"DICM-protected-bytes")
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", ports["p80"], timeout=1)
                probe.request("GET", "/nginx-health")
                probe.close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("nginx did not start: " + (proc.stdout.read() or b"").decode())
                time.sleep(0.1)
        yield ports
    finally:
        proc.terminate()
        proc.wait(10)
        app.shutdown()


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return context


def _request(port: int, method: str, path: str, *, tls: bool, body: bytes | None = None,
             headers: dict[str, str] | None = None):
    if tls:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=unverified_tls())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


@needs_nginx
def test_nginx_serves_the_site_as_configured(running_nginx):
    p80, p443 = running_nginx["p80"], running_nginx["p443"]

    # plain HTTP: redirect, except nginx's own probe and the app's /health/
    r, _ = _request(p80, "GET", "/cases/1/?tab=images", tls=False)
    assert r.status == 301 and r.getheader("Location") == "https://127.0.0.1/cases/1/?tab=images"
    r, body = _request(p80, "GET", "/nginx-health", tls=False)
    assert (r.status, body) == (200, b"ok\n")
    r, _ = _request(p80, "GET", "/health/", tls=False)
    assert r.status == 200 and FakeApp.seen[-1][1] == "/health/"
    r, _ = _request(p80, "GET", "/protected-media/cases/scan.dcm", tls=False)
    assert r.status == 301

    # static files from the static volume, cached, with HSTS
    r, body = _request(p443, "GET", "/static/css/site.css", tls=True)
    assert r.status == 200 and body.startswith(b"body { color: black }")
    assert r.getheader("Cache-Control") == "max-age=3600"
    assert r.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")

    # media: never directly, only through the app's X-Accel-Redirect
    seen_before = len(FakeApp.seen)
    for path in ("/protected-media/cases/scan.dcm", "/static/../protected-media/cases/scan.dcm",
                 "/static/..%2fprotected-media/cases/scan.dcm", "/media-not-public/cases/scan.dcm"):
        r, body = _request(p443, "GET", path, tls=True)
        assert b"DICM-protected-bytes" not in body, path
        assert r.status == 404 or FakeApp.seen[-1][1] == path, (path, r.status)
    assert len(FakeApp.seen) == seen_before + 1  # only /media-not-public/ reached the app
    r, body = _request(p443, "GET", "/api/images/7/file/", tls=True,
                       headers={"X-Forwarded-For": "203.0.113.9"})
    assert (r.status, body) == (200, b"DICM-protected-bytes")
    assert r.getheader("Content-Disposition") == 'attachment; filename="scan.dcm"'
    assert r.headers.get_all("Strict-Transport-Security") == [
        "max-age=31536000; includeSubDomains; preload"]

    # what the app receives
    _, _, forwarded = FakeApp.seen[-1]
    assert forwarded["X-Forwarded-Proto"] == "https"
    assert forwarded["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"  # the app trusts the last one
    assert forwarded["Host"] == f"127.0.0.1:{p443}"
    assert forwarded.get("X-Request-ID")

    # the token endpoint: limited per client address, 429 in the API's error shape
    statuses, throttled = [], None
    for _ in range(20):
        r, body = _request(p443, "POST", "/api/auth/token/", tls=True, body=b"{}",
                           headers={"Content-Type": "application/json"})
        statuses.append(r.status)
        if r.status == 429:
            throttled = (r, body)
    assert statuses[0] == 200 and 429 in statuses, statuses
    r, body = throttled
    assert json.loads(body)["error"]["code"] == "throttled"
    assert r.getheader("Retry-After") and r.getheader("Content-Type") == "application/json"

    # bodies over client_max_body_size (1m in this copy): 413 in the API's error shape
    conn = http.client.HTTPSConnection("127.0.0.1", p443, timeout=10, context=unverified_tls())
    conn.putrequest("POST", "/api/cases/1/images/")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(2 * 1024 * 1024))
    conn.endheaders()
    r = conn.getresponse()
    assert r.status == 413 and json.loads(r.read())["error"]["code"] == "request_too_large"
    conn.close()
