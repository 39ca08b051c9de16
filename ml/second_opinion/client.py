"""`SecondOpinionClient`: ask an OpenAI-compatible vision model for a second
opinion, and turn every failure into a typed `SecondOpinionError`."""

from __future__ import annotations

import base64
import email.utils
import logging
import math
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import openai

from ml.second_opinion.answer import (
    SCHEMA_NAME,
    SecondOpinion,
    answer_schema,
    parse_answer,
    system_prompt,
    user_text,
)
from ml.second_opinion.config import SecondOpinionConfig
from ml.second_opinion.context import SecondOpinionContext
from ml.second_opinion.errors import (
    SecondOpinionConfigError,
    SecondOpinionContextError,
    SecondOpinionError,
    SecondOpinionMalformedAnswerError,
    SecondOpinionRateLimitedError,
    SecondOpinionRefusedError,
    SecondOpinionRejectedError,
    SecondOpinionTimeoutError,
    SecondOpinionUnavailableError,
)
from ml.second_opinion.image import sanitize_image

log = logging.getLogger(__name__)

#: Sent as the API key when none is configured (self-hosted servers that do
#: not check keys still expect the header to be well formed).
PLACEHOLDER_API_KEY = "EMPTY"
_CONTENT_FILTER_CODES = frozenset({"content_filter", "content_policy_violation", "content_filtered"})


def _short(text: object, limit: int = 200) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an
    HTTP date), or None when absent or unparsable."""
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) / divisor
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw:
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if parsed is not None and parsed.tzinfo is not None:
            return max(0.0, parsed.timestamp() - time.time())
    return None


class SecondOpinionClient:
    """Sends one de-identified image and a `SecondOpinionContext` to the
    configured endpoint and returns a validated `SecondOpinion`.

    Thread-safe; the underlying `openai.OpenAI` client is created on the
    first request (never for a disabled config) and reused.
    """

    def __init__(self, config: SecondOpinionConfig | None = None) -> None:
        if config is None:
            config = SecondOpinionConfig()
        if not isinstance(config, SecondOpinionConfig):
            raise SecondOpinionConfigError("config must be a SecondOpinionConfig")
        self.config = config
        self._client: openai.OpenAI | None = None
        self._lock = threading.Lock()
        # Downgraded to "json_object" once an endpoint rejects json_schema.
        self._response_format = "json_schema"

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> SecondOpinionClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _openai(self) -> openai.OpenAI:
        with self._lock:
            if self._client is None:
                cfg = self.config
                client = openai.OpenAI(
                    api_key=cfg.api_key or PLACEHOLDER_API_KEY,
                    base_url=cfg.base_url,
                    timeout=cfg.timeout_s,
                    max_retries=cfg.max_retries,
                )
                # Configuration comes from SecondOpinionConfig only: do not let
                # OPENAI_ORG_ID / OPENAI_PROJECT_ID add headers for another endpoint.
                client.organization = None
                client.project = None
                self._client = client
            return self._client

    @property
    def _endpoint(self) -> str:
        parts = urlsplit(self.config.base_url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

    # -- the request ---------------------------------------------------------------

    def request(self, image_png: bytes, context: SecondOpinionContext) -> SecondOpinion:
        """Ask for a second opinion on `image_png` (PNG or JPEG bytes).

        Raises only `SecondOpinionError` subclasses: disabled/config, image,
        context, timeout, rate limited, unavailable, rejected, refused,
        malformed answer; anything unexpected becomes a plain
        `SecondOpinionError` with the original exception as `__cause__`.
        """
        try:
            self.config.require_usable()
            if not isinstance(context, SecondOpinionContext):
                raise SecondOpinionContextError("context must be a SecondOpinionContext")
            png = sanitize_image(image_png, self.config.max_image_px)
            started = time.monotonic()
            try:
                completion, response_format = self._create(png, context)
            except openai.OpenAIError as exc:
                raise self._map_openai_error(exc) from exc
            latency_ms = (time.monotonic() - started) * 1000.0
            opinion = self._read(completion, context, latency_ms, response_format)
        except SecondOpinionError as exc:
            log.info("second opinion failed: %s", type(exc).__name__)
            raise
        except Exception as exc:  # never let a surprise escape as a crash
            log.warning("second opinion failed unexpectedly: %s", type(exc).__name__, exc_info=True)
            raise SecondOpinionError(
                f"the second opinion failed unexpectedly ({type(exc).__name__}: {self._scrub(exc)})"
            ) from exc
        log.info(
            "second opinion from %s in %.0f ms: %s (%.2f)",
            opinion.model,
            opinion.latency_ms,
            opinion.suggested_class,
            opinion.confidence,
        )
        return opinion

    def _messages(self, png: bytes, context: SecondOpinionContext) -> list[dict[str, Any]]:
        data_url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        return [
            {"role": "system", "content": system_prompt(context)},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": user_text(context)},
                    {"type": "image_url", "image_url": {"url": data_url}},
                ],
            },
        ]

    def _create(self, png: bytes, context: SecondOpinionContext) -> tuple[Any, str]:
        client = self._openai()
        messages = self._messages(png, context)
        response_format = self._response_format
        try:
            return self._send(client, messages, context, response_format), response_format
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            if response_format != "json_schema" or _is_content_filter(exc):
                raise
            log.info(
                "endpoint rejected response_format=json_schema (%s); trying json_object", exc.status_code
            )
        completion = self._send(client, messages, context, "json_object")
        self._response_format = "json_object"  # it worked: remember for later requests
        return completion, "json_object"

    def _send(
        self, client: openai.OpenAI, messages: list[dict[str, Any]], context: SecondOpinionContext, mode: str
    ) -> Any:
        if mode == "json_schema":
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": answer_schema(context)},
            }
        else:
            response_format = {"type": "json_object"}
        return client.chat.completions.create(
            model=self.config.model,
            messages=messages,  # type: ignore[arg-type]
            response_format=response_format,  # type: ignore[arg-type]
        )

    def _read(
        self, completion: Any, context: SecondOpinionContext, latency_ms: float, mode: str
    ) -> SecondOpinion:
        choices = getattr(completion, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise SecondOpinionMalformedAnswerError(
                "the endpoint's response is not a chat completion with at least one choice"
            )
        choice = choices[0]
        message = getattr(choice, "message", None)
        if message is None:
            raise SecondOpinionMalformedAnswerError("the endpoint answered without a message")
        refusal = getattr(message, "refusal", None)
        if isinstance(refusal, str) and refusal.strip():
            raise SecondOpinionRefusedError(
                f"the model declined to answer: {_short(refusal)}", reason=_short(refusal, 1000)
            )
        finish_reason = getattr(choice, "finish_reason", None)
        if finish_reason == "content_filter":
            raise SecondOpinionRefusedError(
                "the endpoint's content filter stopped the answer", reason="content_filter"
            )
        if finish_reason == "length":
            raise SecondOpinionMalformedAnswerError("the answer was cut off (finish_reason=length)")
        content = getattr(message, "content", None)
        if content is not None and not isinstance(content, str):
            raise SecondOpinionMalformedAnswerError("the answer's content is not text")
        fields = parse_answer(content, context)
        model = getattr(completion, "model", None)
        if not isinstance(model, str) or not model.strip():
            model = self.config.model
        return SecondOpinion(
            **fields,
            model=_short(model, 200),
            latency_ms=round(latency_ms, 1),
            response_format=mode,
        )

    def _scrub(self, text: object, limit: int = 200) -> str:
        """`text` shortened, with the configured API key masked if a server echoes it."""
        value = str(text)
        if self.config.api_key:
            value = value.replace(self.config.api_key, "***")
        return _short(value, limit)

    def _map_openai_error(self, exc: openai.OpenAIError) -> SecondOpinionError:
        retries = self.config.max_retries
        after = f" (after {retries} retr{'y' if retries == 1 else 'ies'})" if retries else ""
        if isinstance(exc, openai.APITimeoutError):
            return SecondOpinionTimeoutError(
                f"{self._endpoint} did not answer within {self.config.timeout_s:g} s{after}"
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            detail = f": {type(cause).__name__}" if cause is not None else ""
            return SecondOpinionUnavailableError(f"cannot reach {self._endpoint}{after}{detail}")
        if isinstance(exc, openai.RateLimitError):
            wait = retry_after_seconds(exc.response.headers)
            hint = f"; retry after {wait:g} s" if wait is not None else ""
            return SecondOpinionRateLimitedError(
                f"{self._endpoint} is rate limiting requests (HTTP 429){after}{hint}", retry_after_s=wait
            )
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if _is_content_filter(exc):
                return SecondOpinionRefusedError(
                    f"the endpoint refused the request (HTTP {status}, content filter)",
                    reason=self._scrub(exc.message, 1000),
                )
            if status >= 500:
                return SecondOpinionUnavailableError(
                    f"{self._endpoint} failed with HTTP {status}{after}", status_code=status
                )
            return SecondOpinionRejectedError(
                f"{self._endpoint} rejected the request with HTTP {status}: {self._scrub(exc.message)}",
                status_code=status,
            )
        if isinstance(exc, openai.APIResponseValidationError):
            return SecondOpinionMalformedAnswerError(
                f"the endpoint's response is not a chat completion: {self._scrub(exc)}"
            )
        if isinstance(exc, openai.ContentFilterFinishReasonError):
            return SecondOpinionRefusedError(
                "the endpoint's content filter stopped the answer", reason="content_filter"
            )
        if isinstance(exc, openai.LengthFinishReasonError):
            return SecondOpinionMalformedAnswerError("the answer was cut off (finish_reason=length)")
        return SecondOpinionError(f"the OpenAI client failed: {type(exc).__name__}: {self._scrub(exc)}")


def _is_content_filter(exc: openai.APIStatusError) -> bool:
    code = (exc.code or "").lower()
    body = exc.body if isinstance(exc.body, Mapping) else {}
    inner = body.get("innererror") if isinstance(body.get("innererror"), Mapping) else {}
    inner_code = str(inner.get("code", "")).lower()
    return code in _CONTENT_FILTER_CODES or inner_code in _CONTENT_FILTER_CODES
