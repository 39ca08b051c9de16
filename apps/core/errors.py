"""One error shape for every API error: {"error": {"code", "message", "details"}}.

DRF exceptions go through `api_exception_handler`; errors raised outside DRF
(unknown /api/ URLs, unhandled exceptions) are shaped by
`apps.core.middleware.ApiNotFoundMiddleware`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A business rule refused a write; the API turns it into a 4xx.

    Services raise this (or a subclass) with a message a person understands;
    `code` is a stable machine-readable identifier.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details


class ConflictError(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class ForbiddenError(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_json_response(status_code: int, code: str, message: str, details: Any = None,
                        headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse(error_body(code, message, details), status=status_code)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _first_message(detail: Any) -> str:
    """The first human-readable message inside a DRF error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            if key in ("non_field_errors", "detail"):
                return inner
            return f"{key}: {inner}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: _plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_plain(v) for v in detail]
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        response = Response(error_body(exc.code, exc.message, exc.details),
                            status=exc.status_code)
        if isinstance(exc.details, dict) and "retry_after_s" in exc.details:
            response["Retry-After"] = str(exc.details["retry_after_s"])
        if exc.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else None)
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ValidationError({"detail": f"The request was refused: {exc}"})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    request = context.get("request")
    if request is not None and isinstance(
        exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed,
              exceptions.PermissionDenied)
    ):
        # Every refused access is audited (imported lazily: audit depends on core).
        from apps.audit.services import audit_access_refused

        audit_access_refused(request=request, status_code=exc.status_code,
                             reason=str(exc.detail))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unhandled: the middleware answers 500 in the same shape

    if isinstance(exc, exceptions.ValidationError):
        code, message, details = "invalid", _first_message(exc.detail), _plain(exc.detail)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(detail, dict):
            # simplejwt puts its specific code inside the detail dict.
            message = str(detail.get("detail", _first_message(detail)))
            code = detail.get("code") or (
                codes.get("detail", exc.default_code) if isinstance(codes, dict) else codes)
            details = {k: _plain(v) for k, v in detail.items()
                       if k not in ("detail", "code")} or None
        else:
            message, code, details = str(detail), codes if isinstance(codes, str) else "error", None
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details = {"retry_after_s": int(exc.wait)}
    response.data = error_body(str(code), message, details)
    return response
