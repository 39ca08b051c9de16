"""Optional second opinion from a vision-capable LLM (research use only).

Off by default. When enabled, `SecondOpinionClient.request(image_png, context)`
sends one re-encoded, metadata-free image and a `SecondOpinionContext` (codes
and numbers only) to any OpenAI-compatible chat-completions endpoint, asks for
a JSON answer and validates it into a `SecondOpinion`. Every failure is a
`SecondOpinionError` (an `ml.errors.MLError`). See docs/second-opinion.md.

    from ml.second_opinion import SecondOpinionClient, SecondOpinionConfig, SecondOpinionContext

    client = SecondOpinionClient(SecondOpinionConfig.from_env())
    opinion = client.request(png_bytes, SecondOpinionContext(modality="MR", body_part="BRAIN"))
"""

from ml.second_opinion.answer import SYSTEM_PROMPT, SecondOpinion, answer_schema
from ml.second_opinion.client import SecondOpinionClient
from ml.second_opinion.config import (
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_ENABLED,
    ENV_MAX_IMAGE_PX,
    ENV_MAX_RETRIES,
    ENV_MODEL,
    ENV_TIMEOUT_S,
    SecondOpinionConfig,
)
from ml.second_opinion.context import ALLOWED_MODALITIES, UNCERTAIN, SecondOpinionContext
from ml.second_opinion.errors import (
    SecondOpinionConfigError,
    SecondOpinionContextError,
    SecondOpinionDisabledError,
    SecondOpinionError,
    SecondOpinionImageError,
    SecondOpinionInputError,
    SecondOpinionMalformedAnswerError,
    SecondOpinionRateLimitedError,
    SecondOpinionRefusedError,
    SecondOpinionRejectedError,
    SecondOpinionTimeoutError,
    SecondOpinionUnavailableError,
)
from ml.second_opinion.image import sanitize_image

__all__ = [
    "ALLOWED_MODALITIES",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_ENABLED",
    "ENV_MAX_IMAGE_PX",
    "ENV_MAX_RETRIES",
    "ENV_MODEL",
    "ENV_TIMEOUT_S",
    "SYSTEM_PROMPT",
    "UNCERTAIN",
    "SecondOpinion",
    "SecondOpinionClient",
    "SecondOpinionConfig",
    "SecondOpinionConfigError",
    "SecondOpinionContext",
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
    "answer_schema",
    "sanitize_image",
]
