"""The prompt, the JSON schema asked for, and validation of the answer."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ml.second_opinion.context import UNCERTAIN, SecondOpinionContext, is_valid_label
from ml.second_opinion.errors import SecondOpinionMalformedAnswerError, SecondOpinionRefusedError

MAX_FINDINGS = 20
MAX_FINDING_CHARS = 500
MAX_IMPRESSION_CHARS = 2000
SCHEMA_NAME = "radcase_second_opinion"

SYSTEM_PROMPT = """\
You are assisting a research tool that compares a local image classifier with a \
second opinion. This is NOT a diagnosis and will not be used for patient care; \
a qualified clinician reviews every result.

You receive one de-identified, rendered medical image and a JSON object with \
the modality, the body part, the local model's result and the allowed classes. \
Look at the image and answer with a single JSON object and nothing else \
(no Markdown, no prose around it), matching this JSON schema:

{schema}

Rules: "findings" is a list of short, objective image observations; \
"impression" is one or two sentences; "suggested_class" is exactly one of \
"allowed_classes" (or "uncertain" if the image does not allow a confident \
choice or no classes are given); "confidence" is your probability, between \
0 and 1, that "suggested_class" is correct. Do not speculate about the \
patient's identity, and do not include names, dates or identifiers."""


@dataclass(frozen=True)
class SecondOpinion:
    """A validated second opinion. `latency_ms` is the wall time of the
    whole request (retries included); `model` is the model the endpoint
    reports having used."""

    findings: list[str]
    impression: str
    suggested_class: str
    confidence: float
    model: str
    latency_ms: float
    #: "json_schema" or "json_object": the response_format the endpoint accepted.
    response_format: str = field(default="json_schema")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def answer_schema(context: SecondOpinionContext) -> dict[str, Any]:
    """JSON schema of the answer (strict-mode compatible)."""
    suggested: dict[str, Any] = {"type": "string"}
    if context.classes:
        suggested["enum"] = [*context.classes, UNCERTAIN]
    return {
        "type": "object",
        "properties": {
            "findings": {
                "type": "array",
                "items": {"type": "string"},
                "description": f"Short objective observations, at most {MAX_FINDINGS}.",
            },
            "impression": {"type": "string", "description": "One or two sentences."},
            "suggested_class": suggested,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["findings", "impression", "suggested_class", "confidence"],
        "additionalProperties": False,
    }


def system_prompt(context: SecondOpinionContext) -> str:
    return SYSTEM_PROMPT.format(schema=json.dumps(answer_schema(context), indent=1))


def user_text(context: SecondOpinionContext) -> str:
    return (
        "Context (JSON):\n"
        + json.dumps(context.to_prompt_payload(), sort_keys=True)
        + "\nAnswer with the JSON object only."
    )


_FENCE_RE = re.compile(r"^```(?:json|JSON)?\s*\n?(.*?)\n?```$", re.DOTALL)
_REFUSAL_RE = re.compile(
    r"^\s*(?:i['\u2019]?m sorry|i am sorry|sorry,|i can(?:no|'|\u2019)t|i cannot|"
    r"i am unable|i['\u2019]?m unable|i am not able|i['\u2019]?m not able|"
    r"i won['\u2019]?t|i will not|as an ai|unfortunately,? i)",
    re.IGNORECASE,
)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_answer(content: str | None, context: SecondOpinionContext) -> dict[str, Any]:
    """Validate the message content and return the four fields, normalised.

    Raises `SecondOpinionRefusedError` for a plain-text refusal and
    `SecondOpinionMalformedAnswerError` for anything not matching the schema.
    Unknown extra keys are ignored; Markdown code fences are tolerated."""
    if content is None or not content.strip():
        raise SecondOpinionMalformedAnswerError("the answer is empty")
    text = content.strip()
    fenced = _FENCE_RE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except ValueError as exc:
        if _REFUSAL_RE.match(text):
            raise SecondOpinionRefusedError(
                f"the model declined to answer: {_short(text)}", reason=_short(text, 1000)
            ) from None
        raise SecondOpinionMalformedAnswerError(f"the answer is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SecondOpinionMalformedAnswerError(f"the answer is JSON {type(data).__name__}, not an object")

    missing = [key for key in ("findings", "impression", "suggested_class", "confidence") if key not in data]
    if missing:
        raise SecondOpinionMalformedAnswerError(f"the answer lacks {', '.join(missing)}")

    findings = data["findings"]
    if not isinstance(findings, list) or not all(isinstance(item, str) for item in findings):
        raise SecondOpinionMalformedAnswerError("findings must be a list of strings")
    findings = [item.strip() for item in findings if item.strip()]
    if len(findings) > MAX_FINDINGS:
        raise SecondOpinionMalformedAnswerError(f"findings has more than {MAX_FINDINGS} items")
    if any(len(item) > MAX_FINDING_CHARS for item in findings):
        raise SecondOpinionMalformedAnswerError(f"a finding is longer than {MAX_FINDING_CHARS} characters")

    impression = data["impression"]
    if not isinstance(impression, str) or not impression.strip():
        raise SecondOpinionMalformedAnswerError("impression must be a non-empty string")
    impression = impression.strip()
    if len(impression) > MAX_IMPRESSION_CHARS:
        raise SecondOpinionMalformedAnswerError(
            f"impression is longer than {MAX_IMPRESSION_CHARS} characters"
        )

    suggested = data["suggested_class"]
    if not isinstance(suggested, str):
        raise SecondOpinionMalformedAnswerError("suggested_class must be a string")
    suggested = suggested.strip()
    by_lower = {label.lower(): label for label in context.classes}
    by_lower[UNCERTAIN] = UNCERTAIN
    if suggested.lower() in by_lower:
        suggested = by_lower[suggested.lower()]
    elif context.classes or not is_valid_label(suggested):
        allowed = [*context.classes, UNCERTAIN]
        raise SecondOpinionMalformedAnswerError(
            f"suggested_class {_short(suggested, 60)!r} is not one of {allowed}"
        )

    confidence = data["confidence"]
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise SecondOpinionMalformedAnswerError("confidence must be a number")
    confidence = float(confidence)
    if not math.isfinite(confidence) or not 0.0 <= confidence <= 1.0:
        raise SecondOpinionMalformedAnswerError(f"confidence must be within [0, 1], got {confidence!r}")

    return {
        "findings": findings,
        "impression": impression,
        "suggested_class": suggested,
        "confidence": confidence,
    }
