"""Configuration of the optional LLM second opinion (off by default)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ml.second_opinion.errors import SecondOpinionConfigError, SecondOpinionDisabledError

#: Environment variables read by `SecondOpinionConfig.from_env`.
ENV_ENABLED = "RADCASE_LLM_ENABLED"
ENV_BASE_URL = "RADCASE_LLM_BASE_URL"
ENV_MODEL = "RADCASE_LLM_MODEL"
ENV_API_KEY = "RADCASE_LLM_API_KEY"
ENV_TIMEOUT_S = "RADCASE_LLM_TIMEOUT_S"
ENV_MAX_RETRIES = "RADCASE_LLM_MAX_RETRIES"
ENV_MAX_IMAGE_PX = "RADCASE_LLM_MAX_IMAGE_PX"

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_IMAGE_PX = 1024

MAX_TIMEOUT_S = 600.0
MAX_RETRIES_LIMIT = 10
MIN_IMAGE_PX = 32
MAX_IMAGE_PX_LIMIT = 4096

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True)
class SecondOpinionConfig:
    """Where and how to ask for a second opinion.

    `enabled` is False by default: a default config never touches the
    network. When enabled, `base_url` (an OpenAI-compatible endpoint such as
    ``http://vllm.internal:8000/v1``; the client appends ``/chat/completions``)
    and `model` are required; `api_key` may be empty for endpoints that do not
    check it. `timeout_s` bounds each HTTP attempt; `max_retries` extra
    attempts are made on timeouts, connection errors, 429 and 5xx. The image
    is downscaled so that its longer side is at most `max_image_px`.
    """

    enabled: bool = False
    base_url: str = ""
    model: str = ""
    api_key: str = field(default="", repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    max_image_px: int = DEFAULT_MAX_IMAGE_PX

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise SecondOpinionConfigError(f"enabled ({ENV_ENABLED}) must be a bool")
        for name in ("base_url", "model", "api_key"):
            if not isinstance(getattr(self, name), str):
                raise SecondOpinionConfigError(f"{name} must be a string")
        object.__setattr__(self, "base_url", self.base_url.strip())
        object.__setattr__(self, "model", self.model.strip())
        object.__setattr__(self, "api_key", self.api_key.strip())

        if self.base_url:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SecondOpinionConfigError(
                    f"base_url ({ENV_BASE_URL}) must be an http:// or https:// URL with a host, "
                    "e.g. http://localhost:8000/v1"
                )
            if parts.query or parts.fragment:
                raise SecondOpinionConfigError(
                    f"base_url ({ENV_BASE_URL}) must not carry a query or fragment"
                )
        if len(self.model) > 200 or any(c.isspace() for c in self.model):
            raise SecondOpinionConfigError(f"model ({ENV_MODEL}) must be a model name without whitespace")
        if any(c.isspace() for c in self.api_key):
            raise SecondOpinionConfigError(f"api_key ({ENV_API_KEY}) must not contain whitespace")

        timeout = self.timeout_s
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise SecondOpinionConfigError(f"timeout_s ({ENV_TIMEOUT_S}) must be a number of seconds")
        if not math.isfinite(timeout) or not 0 < timeout <= MAX_TIMEOUT_S:
            raise SecondOpinionConfigError(f"timeout_s ({ENV_TIMEOUT_S}) must be in (0, {MAX_TIMEOUT_S:g}]")
        object.__setattr__(self, "timeout_s", float(timeout))

        retries = self.max_retries
        if isinstance(retries, bool) or not isinstance(retries, int):
            raise SecondOpinionConfigError(f"max_retries ({ENV_MAX_RETRIES}) must be an integer")
        if not 0 <= retries <= MAX_RETRIES_LIMIT:
            raise SecondOpinionConfigError(
                f"max_retries ({ENV_MAX_RETRIES}) must be in [0, {MAX_RETRIES_LIMIT}]"
            )

        px = self.max_image_px
        if isinstance(px, bool) or not isinstance(px, int):
            raise SecondOpinionConfigError(f"max_image_px ({ENV_MAX_IMAGE_PX}) must be an integer")
        if not MIN_IMAGE_PX <= px <= MAX_IMAGE_PX_LIMIT:
            raise SecondOpinionConfigError(
                f"max_image_px ({ENV_MAX_IMAGE_PX}) must be in [{MIN_IMAGE_PX}, {MAX_IMAGE_PX_LIMIT}]"
            )

    @property
    def is_configured(self) -> bool:
        """True when enabled and both `base_url` and `model` are set."""
        return self.enabled and bool(self.base_url) and bool(self.model)

    def require_usable(self) -> None:
        """Raise `SecondOpinionDisabledError` / `SecondOpinionConfigError`
        unless a request may be sent."""
        if not self.enabled:
            raise SecondOpinionDisabledError(
                f"the LLM second opinion is disabled (set {ENV_ENABLED}=true to enable it)"
            )
        missing = [
            env for env, value in ((ENV_BASE_URL, self.base_url), (ENV_MODEL, self.model)) if not value
        ]
        if missing:
            raise SecondOpinionConfigError(
                "the LLM second opinion is enabled but not configured: set " + " and ".join(missing)
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SecondOpinionConfig:
        """Build a config from `RADCASE_LLM_*` variables (`os.environ` when
        `environ` is None). Unset or empty variables keep their defaults;
        unparsable values raise `SecondOpinionConfigError`."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            value = env.get(name)
            return "" if value is None else str(value).strip()

        enabled_raw = get(ENV_ENABLED).lower()
        if enabled_raw in _TRUE:
            enabled = True
        elif enabled_raw in _FALSE:
            enabled = False
        else:
            raise SecondOpinionConfigError(
                f"{ENV_ENABLED} must be one of true/false/1/0/yes/no/on/off, got {enabled_raw!r}"
            )

        def number(name: str, default: float, kind: type) -> float | int:
            raw = get(name)
            if not raw:
                return default
            try:
                return kind(raw)
            except ValueError:
                raise SecondOpinionConfigError(
                    f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}"
                ) from None

        return cls(
            enabled=enabled,
            base_url=get(ENV_BASE_URL),
            model=get(ENV_MODEL),
            api_key=get(ENV_API_KEY),
            timeout_s=number(ENV_TIMEOUT_S, DEFAULT_TIMEOUT_S, float),
            max_retries=number(ENV_MAX_RETRIES, DEFAULT_MAX_RETRIES, int),
            max_image_px=number(ENV_MAX_IMAGE_PX, DEFAULT_MAX_IMAGE_PX, int),
        )
