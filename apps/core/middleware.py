"""Request logging and JSON errors for /api/ responses made outside DRF."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

from .errors import error_json_response

request_logger = logging.getLogger("radcase.request")
error_logger = logging.getLogger("radcase.errors")


class RequestLogMiddleware:
    """One log line per request: request id, user id, method, path, status,
    duration. The path is logged without its query string, because search
    terms (MRNs, names) travel in query strings and must never reach logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request.request_id,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        response["X-Request-ID"] = request.request_id
        return response


class ApiNotFoundMiddleware:
    """Gives /api/ 404s and unhandled exceptions the API's error shape.

    DRF shapes its own errors; this covers URLs that match no route and
    exceptions that escape a view (which are bugs: logged, answered 500).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code == 404
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return error_json_response(404, "not_found", "Not found.")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, Http404):
            return error_json_response(404, "not_found", "Not found.")
        error_logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_json_response(
            500, "server_error",
            "The server could not complete the request; the error was logged.",
            {"request_id": getattr(request, "request_id", None)},
        )
