"""Well-known locations: the repository root, the shipped checkpoint and the
shared data folder (configurable, because CI and laptops put it elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT: Path = Path(__file__).resolve().parent.parent
"""The checkout's root (the folder holding `ml/`)."""

DEFAULT_CHECKPOINT: Path = REPO_ROOT / "ml" / "models" / "default" / "model.pt"
"""The shipped default brain-MRI model, next to its model card and metrics."""

CACHE_DIR: Path = REPO_ROOT / ".cache" / "ml"
"""Default git-ignored folder for decoded/preprocessed dataset arrays."""

DATASET_NAME = "brain-tumor-mri"


def shared_dir() -> Path:
    """The shared data folder: `$RADCASE_SHARED_DIR`, else `shared/` beside the repo."""
    env = os.environ.get("RADCASE_SHARED_DIR")
    return Path(env).expanduser() if env else REPO_ROOT.parent / "shared"


def default_dataset_root() -> Path:
    """`<shared>/datasets/brain-tumor-mri`, the folder holding Training/ and Testing/."""
    return shared_dir() / "datasets" / DATASET_NAME


def cache_dir() -> Path:
    """Where dataset caches go: `$RADCASE_ML_CACHE_DIR`, else `<repo>/.cache/ml`."""
    env = os.environ.get("RADCASE_ML_CACHE_DIR")
    return Path(env).expanduser() if env else CACHE_DIR
