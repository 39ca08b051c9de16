"""Container health check for the `web` role: GET /health/ on gunicorn.

Exit 0 when the app answers 200, 1 otherwise (503 = a dependency is down).
Standard library only, so it starts fast and needs no Django set-up.

The request goes straight to gunicorn (GUNICORN_BIND's port, default 8000)
with a Host header taken from ALLOWED_HOSTS, so Django's host validation
accepts it, and `X-Forwarded-Proto: https`, as nginx would send.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import sys

TIMEOUT_S = 10


def health_host(allowed_hosts: str) -> str:
    """A host name that Django's ALLOWED_HOSTS accepts."""
    for entry in (h.strip() for h in allowed_hosts.split(",")):
        if not entry or entry == "*":
            continue
        # ".example.org" allows example.org and every subdomain.
        return entry.lstrip(".")
    return "localhost"


def bind_port(bind: str) -> int:
    """The port of a gunicorn bind address such as 0.0.0.0:8000 or [::]:8000."""
    bind = bind.split(",")[0].strip()
    _, _, port = bind.rpartition(":")
    return int(port) if port.isdigit() else 8000


def _host_header(host: str) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    return host


def check(port: int, host: str) -> tuple[bool, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        conn.request("GET", "/health/", headers={
            "Host": _host_header(host),
            "X-Forwarded-Proto": "https",
            "User-Agent": "radcase-healthcheck",
        })
        response = conn.getresponse()
        body = response.read(2000).decode("utf-8", "replace")
        return response.status == 200, f"{response.status} {body}"
    except OSError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def main() -> int:
    port = bind_port(os.environ.get("GUNICORN_BIND") or "0.0.0.0:8000")
    host = health_host(os.environ.get("ALLOWED_HOSTS", ""))
    ok, detail = check(port, host)
    if not ok:
        print(f"unhealthy: {detail}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
