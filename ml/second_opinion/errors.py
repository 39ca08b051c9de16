"""Typed errors of the optional LLM second opinion.

Every failure of `SecondOpinionClient.request` is a `SecondOpinionError`
(itself an `ml.errors.MLError`); nothing else escapes. Each class says whether
trying again later may help (`retryable`), so the platform can decide between
"retry the job" and "show the message" without inspecting the type.
"""

from __future__ import annotations

from ml.errors import MLError


class SecondOpinionError(MLError):
    """Base class of every second-opinion failure."""

    #: True when the same request may succeed if it is tried again later.
    retryable: bool = False


class SecondOpinionDisabledError(SecondOpinionError):
    """The second opinion is switched off (`enabled=False`, the default).

    Raised before anything touches the network."""


class SecondOpinionConfigError(SecondOpinionError, ValueError):
    """The configuration is invalid or incomplete (e.g. enabled without a
    `base_url` or `model`, a non-numeric timeout)."""


class SecondOpinionInputError(SecondOpinionError, ValueError):
    """The caller's input cannot be sent (see the two subclasses)."""


class SecondOpinionContextError(SecondOpinionInputError):
    """The context has a value outside what is allowed (unknown modality,
    over-long or oddly shaped label, probability out of range...)."""


class SecondOpinionImageError(SecondOpinionInputError):
    """The input image cannot be decoded or is not an acceptable raster."""


class SecondOpinionTimeoutError(SecondOpinionError):
    """The endpoint did not answer within `timeout_s` (after the retries)."""

    retryable = True


class SecondOpinionRateLimitedError(SecondOpinionError):
    """The endpoint answered HTTP 429 (after the retries).

    `retry_after_s` is the server's `Retry-After` (or `retry-after-ms`) in
    seconds when it sent one, else None."""

    retryable = True

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SecondOpinionUnavailableError(SecondOpinionError):
    """The endpoint could not be reached (connection refused or dropped) or
    answered with a 5xx status. `status_code` is None for connection errors."""

    retryable = True

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class SecondOpinionRejectedError(SecondOpinionError):
    """The endpoint rejected the request with a 4xx other than 429
    (bad API key, unknown model, image input not supported...)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class SecondOpinionRefusedError(SecondOpinionError):
    """The model declined to answer (a `refusal` field, a content-filter stop,
    or a plain-text answer that reads as a refusal). `reason` holds the
    model's words, truncated."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class SecondOpinionMalformedAnswerError(SecondOpinionError):
    """The answer is not the JSON object that was asked for (not JSON, wrong
    types, out-of-range confidence, class not allowed, truncated...)."""


__all__ = [
    "SecondOpinionConfigError",
    "SecondOpinionContextError",
    "SecondOpinionDisabledError",
    "SecondOpinionError",
    "SecondOpinionImageError",
    "SecondOpinionInputError",
    "SecondOpinionMalformedAnswerError",
    "SecondOpinionRateLimitedError",
    "SecondOpinionRefusedError",
    "SecondOpinionRejectedError",
    "SecondOpinionTimeoutError",
    "SecondOpinionUnavailableError",
]
