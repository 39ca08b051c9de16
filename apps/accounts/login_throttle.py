"""Counting failed logins in the shared cache, to answer HTTP 429 after too many.

Two counters: per username (RADCASE_LOGIN_FAILURE_LIMIT failures per window)
and per client address (ten times that, since a whole ward may sit behind one
NAT address). Counters live in Django's cache (Redis in production), so every
web process sees the same counts.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

PER_ADDRESS_FACTOR = 10


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:{kind}:{digest}"


def _counters(username: str, ip: str | None) -> list[tuple[str, int]]:
    limit = settings.RADCASE_LOGIN_FAILURE_LIMIT
    counters = [(_key("user", username), limit)]
    if ip:
        counters.append((_key("ip", ip), limit * PER_ADDRESS_FACTOR))
    return counters


def seconds_until_allowed(username: str, ip: str | None) -> int:
    """0 when a login attempt may proceed, else how long to wait."""
    window = settings.RADCASE_LOGIN_FAILURE_WINDOW_S
    wait = 0
    for key, limit in _counters(username, ip):
        if (cache.get(key) or 0) >= limit:
            started = cache.get(f"{key}:since") or time.time()
            wait = max(wait, int(started + window - time.time()) + 1)
    return wait


def register_failure(username: str, ip: str | None) -> None:
    window = settings.RADCASE_LOGIN_FAILURE_WINDOW_S
    for key, _limit in _counters(username, ip):
        if cache.add(key, 0, timeout=window):
            cache.set(f"{key}:since", time.time(), timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def clear_failures(username: str) -> None:
    key = _key("user", username)
    cache.delete_many([key, f"{key}:since"])
