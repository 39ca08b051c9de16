"""Where a request came from, for the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address, trusting exactly RADCASE_TRUSTED_PROXY_COUNT proxies.

    Behind nginx (one proxy) the real client is the last address nginx
    appended to X-Forwarded-For; anything to its left was sent by the client
    and can be forged, so it is ignored.
    """
    if request is None:
        return None
    proxies = settings.RADCASE_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:512]
