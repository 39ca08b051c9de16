"""Training configuration: a YAML file mapped onto typed dataclasses.

Unknown keys are errors, so a typo in a config can't silently fall back to a
default and produce a different model than the one described.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ml.augment import AugmentConfig
from ml.data.dedup import DEFAULT_PHASH_THRESHOLD
from ml.errors import ConfigError
from ml.preprocess import PreprocessConfig


@dataclass
class TrainConfig:
    """Everything `python -m ml train` needs; see ml/configs/default.yaml."""

    data_root: str | None = None  # None: $RADCASE_SHARED_DIR/datasets/brain-tumor-mri
    train_split: str = "Training"
    test_split: str = "Testing"
    input_size: int = 128
    arch: str = "compact"
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    balanced_sampling: bool = True  # else class-weighted loss
    patience: int = 8  # early stopping on validation loss
    val_fraction: float = 0.15
    phash_threshold: int = DEFAULT_PHASH_THRESHOLD
    target_sensitivity: float = 0.99
    seed: int = 42
    num_threads: int = 2
    max_train_images: int | None = None  # subsample (tests, quick runs)
    output_dir: str = "runs/default"
    model_version: str = "dev"
    init_checkpoint: str | None = None  # start from these weights (same arch), e.g. a second cosine cycle
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown config keys: {sorted(unknown)}")
        pre = PreprocessConfig.from_dict(data.pop("preprocess", None))
        aug = AugmentConfig.from_dict(data.pop("augment", None))
        return cls(preprocess=pre, augment=aug, **data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"config {path} must be a mapping")
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["preprocess"] = self.preprocess.to_dict()
        d["augment"] = self.augment.to_dict()
        return d
