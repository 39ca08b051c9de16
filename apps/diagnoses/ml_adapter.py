"""The platform's single door into the `ml` package.

Nothing else under `apps/` imports `ml` (import-linter checks this): keeping
one adapter means the ML code can change shape without the web code noticing,
and that the web process imports torch only when it actually runs a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

import ml


@dataclass(frozen=True)
class ModelStatus:
    available: bool
    detail: str
    version: str | None = None
    ml_package_version: str = ml.__version__


def model_status(checkpoint: Path | None = None) -> ModelStatus:
    """Whether the configured checkpoint is present and described by its model
    card. Cheap: reads the JSON card beside the weights, does not import torch."""
    path = Path(checkpoint or settings.RADCASE_MODEL_CHECKPOINT)
    if not path.is_file():
        return ModelStatus(False, f"checkpoint not found: {path.name}")
    card = path.with_name("model_card.json")
    version = None
    if card.is_file():
        try:
            version = json.loads(card.read_text()).get("model_version")
        except (OSError, ValueError) as exc:
            return ModelStatus(False, f"model card unreadable: {exc}")
    return ModelStatus(True, f"{path.name} ({path.stat().st_size // 1024} KiB)", version)
