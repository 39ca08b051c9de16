"""The non-identifying context sent alongside the image.

`SecondOpinionContext` deliberately has no free-text field: every value is a
short code, a class label from the local model, or a number, and each is
checked against a narrow pattern, so a patient name, ID, date or accession
number cannot ride along by accident.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ml.second_opinion.errors import SecondOpinionContextError

#: DICOM modality codes accepted for `SecondOpinionContext.modality`.
ALLOWED_MODALITIES = frozenset({"CR", "CT", "DX", "MG", "MR", "NM", "OT", "PT", "RF", "SC", "US", "XA"})
#: The class an LLM may always answer with when it cannot decide.
UNCERTAIN = "uncertain"
MAX_CLASSES = 32

# DICOM BodyPartExamined is a code string: upper case, digits, '_' and ' ', 16 max.
_BODY_PART_RE = re.compile(r"[A-Z][A-Z0-9_ ]{0,15}")
# Class labels come from the local model's checkpoint: no spaces, 40 chars max.
_LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}")


def is_valid_label(value: object) -> bool:
    """True when `value` is a string shaped like a class label."""
    return isinstance(value, str) and _LABEL_RE.fullmatch(value) is not None


def _check_label(value: object, what: str) -> str:
    if not is_valid_label(value):
        raise SecondOpinionContextError(
            f"{what} must be 1-40 characters of letters, digits, '_', '-' or '.', got {value!r:.60}"
        )
    assert isinstance(value, str)
    if value.lower() == UNCERTAIN:
        raise SecondOpinionContextError(f"{what} must not be the reserved label {UNCERTAIN!r}")
    return value


def _check_probability(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SecondOpinionContextError(f"{what} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise SecondOpinionContextError(f"{what} must be within [0, 1], got {number!r}")
    return number


@dataclass(frozen=True)
class SecondOpinionContext:
    """What the LLM is told besides the image.

    - `modality`: a DICOM modality code from `ALLOWED_MODALITIES` ("MR", "CT"...).
    - `body_part`: a DICOM BodyPartExamined-style code ("BRAIN", "HEAD"), at
      most 16 characters of A-Z, 0-9, '_' and space (lower case is upper-cased).
    - `predicted_class`, `probabilities` (calibrated, class -> [0, 1]),
      `tumour_probability`: the local model's result, all optional.
    - `allowed_classes`: the labels the LLM may suggest (plus "uncertain");
      defaults to the keys of `probabilities`.
    """

    modality: str
    body_part: str
    predicted_class: str | None = None
    probabilities: Mapping[str, float] | None = None
    tumour_probability: float | None = None
    allowed_classes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        modality = self.modality
        if not isinstance(modality, str) or modality.strip().upper() not in ALLOWED_MODALITIES:
            raise SecondOpinionContextError(
                f"modality must be one of {', '.join(sorted(ALLOWED_MODALITIES))}, got {modality!r:.40}"
            )
        object.__setattr__(self, "modality", modality.strip().upper())

        body_part = self.body_part
        if not isinstance(body_part, str):
            raise SecondOpinionContextError("body_part must be a string such as 'BRAIN'")
        body_part = " ".join(body_part.split()).upper()
        if _BODY_PART_RE.fullmatch(body_part) is None:
            raise SecondOpinionContextError(
                "body_part must be a code of at most 16 characters (A-Z, 0-9, '_', space), "
                f"got {self.body_part!r:.40}"
            )
        object.__setattr__(self, "body_part", body_part)

        allowed: tuple[str, ...] | None = None
        if self.allowed_classes is not None:
            allowed = self._check_classes(self.allowed_classes)
            if not allowed:
                raise SecondOpinionContextError("allowed_classes must not be empty when given")
        object.__setattr__(self, "allowed_classes", allowed)

        probabilities: dict[str, float] | None = None
        if self.probabilities is not None:
            if not isinstance(self.probabilities, Mapping):
                raise SecondOpinionContextError("probabilities must be a mapping of class -> probability")
            self._check_classes(self.probabilities.keys())
            probabilities = {
                label: _check_probability(p, f"probabilities[{label!r}]")
                for label, p in self.probabilities.items()
            }
            if allowed is not None and not set(probabilities) <= set(allowed):
                extra = sorted(set(probabilities) - set(allowed))
                raise SecondOpinionContextError(f"probabilities name classes not in allowed_classes: {extra}")
            if sum(probabilities.values()) > 1.01:
                raise SecondOpinionContextError("calibrated probabilities must not sum to more than 1")
        object.__setattr__(self, "probabilities", probabilities)

        if self.predicted_class is not None:
            label = _check_label(self.predicted_class, "predicted_class")
            known = self.classes
            if known and label not in known:
                raise SecondOpinionContextError(
                    f"predicted_class {label!r} is not one of the classes {list(known)}"
                )

        if self.tumour_probability is not None:
            object.__setattr__(
                self, "tumour_probability", _check_probability(self.tumour_probability, "tumour_probability")
            )

    @staticmethod
    def _check_classes(labels: Iterable[Any]) -> tuple[str, ...]:
        if isinstance(labels, str):
            raise SecondOpinionContextError("a list of class labels is expected, not a single string")
        checked = tuple(_check_label(label, "class label") for label in labels)
        if len(checked) > MAX_CLASSES:
            raise SecondOpinionContextError(f"at most {MAX_CLASSES} classes are allowed")
        if len({label.lower() for label in checked}) != len(checked):
            raise SecondOpinionContextError("class labels must be unique (case-insensitively)")
        return checked

    @property
    def classes(self) -> tuple[str, ...]:
        """The labels the answer may use besides "uncertain" (may be empty:
        then any label-shaped answer is accepted)."""
        if self.allowed_classes is not None:
            return self.allowed_classes
        if self.probabilities:
            return tuple(self.probabilities)
        return ()

    def to_prompt_payload(self) -> dict[str, Any]:
        """The exact JSON object placed in the user message."""
        local: dict[str, Any] | None = None
        if (
            self.predicted_class is not None
            or self.probabilities is not None
            or self.tumour_probability is not None
        ):
            local = {
                "predicted_class": self.predicted_class,
                "calibrated_probabilities": (
                    None
                    if self.probabilities is None
                    else {label: round(p, 4) for label, p in self.probabilities.items()}
                ),
                "tumour_probability": (
                    None if self.tumour_probability is None else round(self.tumour_probability, 4)
                ),
            }
        return {
            "modality": self.modality,
            "body_part": self.body_part,
            "local_model_result": local,
            "allowed_classes": [*self.classes, UNCERTAIN] if self.classes else None,
        }
