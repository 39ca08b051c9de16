"""Dependency checks behind GET /health/.

Each check returns a `CheckResult`; the endpoint answers 503 when any
required dependency is down, so a load balancer or `docker compose` health
check takes the instance out of rotation.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    status: str  # "ok", "down", "eager" (no broker: tasks run in-process), ...
    detail: str = ""
    duration_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _timed(name: str, fn) -> CheckResult:
    started = time.perf_counter()
    try:
        ok, status, detail = fn()
    except Exception as exc:  # a health check reports failures, it never raises
        ok, status, detail = False, "down", f"{type(exc).__name__}: {exc}"[:300]
    return CheckResult(name, ok, status, detail, round((time.perf_counter() - started) * 1000, 1))


def check_database() -> CheckResult:
    def probe():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok", connection.vendor
    return _timed("database", probe)


def check_cache() -> CheckResult:
    def probe():
        key = f"health:{uuid.uuid4().hex}"
        cache.set(key, "1", timeout=10)
        value = cache.get(key)
        cache.delete(key)
        if value != "1":
            return False, "down", "value written was not read back"
        backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        return True, "ok", backend
    return _timed("cache", probe)


def check_broker() -> CheckResult:
    def probe():
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return True, "eager", "no broker configured: tasks run in-process"
        from config.celery import app

        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport.driver_name
        return True, "ok", transport
    return _timed("broker", probe)


def check_model() -> CheckResult:
    def probe():
        from apps.diagnoses.ml_adapter import model_status

        status = model_status()
        return status.available, "ok" if status.available else "down", status.detail
    return _timed("model", probe)


def run_all_checks() -> list[CheckResult]:
    return [check_database(), check_cache(), check_broker(), check_model()]
