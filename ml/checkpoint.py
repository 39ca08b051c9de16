"""The versioned checkpoint artefact.

A checkpoint is a plain dict of tensors, strings, numbers and lists written
with `torch.save` and read with `torch.load(weights_only=True)`, so loading a
file cannot execute code. It carries everything inference needs (arch name
and kwargs, weights, class names, preprocessing, input size, temperature,
threshold) and what an auditor needs (training-data checksum, metrics,
model version). `read_checkpoint_info` is the cheap health check.
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ml.errors import CheckpointError, ClassMismatchError
from ml.models import build_model
from ml.preprocess import PreprocessConfig

FORMAT_VERSION = 1
REQUIRED_KEYS = (
    "format_version",
    "arch",
    "arch_kwargs",
    "state_dict",
    "class_names",
    "preprocess",
    "input_size",
    "temperature",
    "threshold",
    "negative_class",
    "model_version",
)


@dataclass
class CheckpointInfo:
    """What a health check or model listing needs, without building the network."""

    path: str
    format_version: int
    model_version: str
    arch: str
    class_names: list[str]
    negative_class: str
    tumor_classes: list[str]
    input_size: int
    threshold: float
    temperature: float
    preprocess_steps: list[str]
    training_data_checksum: str | None
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadedCheckpoint:
    """A ready-to-run model plus the checkpoint's metadata."""

    model: nn.Module
    info: CheckpointInfo
    preprocess: PreprocessConfig
    raw: dict[str, Any]


def _plain(value: Any) -> Any:
    """Reduce to types `weights_only=True` accepts (dict/list/str/num/bool/None/tensor)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None or isinstance(value, torch.Tensor):
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def save_checkpoint(
    path: str | Path,
    *,
    model: nn.Module,
    arch: str,
    arch_kwargs: dict[str, Any],
    class_names: list[str],
    preprocess: PreprocessConfig,
    input_size: int,
    temperature: float = 1.0,
    threshold: float = 0.5,
    negative_class: str = "notumor",
    training_data_checksum: str | None = None,
    metrics: dict[str, Any] | None = None,
    model_version: str = "dev",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the checkpoint dict atomically (temp file + rename)."""
    if negative_class not in class_names:
        raise ClassMismatchError(f"negative class {negative_class!r} not among {class_names}")
    payload = {
        "format_version": FORMAT_VERSION,
        "arch": arch,
        "arch_kwargs": _plain(arch_kwargs),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "class_names": list(class_names),
        "negative_class": negative_class,
        "tumor_classes": [c for c in class_names if c != negative_class],
        "preprocess": _plain(preprocess.to_dict()),
        "input_size": int(input_size),
        "temperature": float(temperature),
        "threshold": float(threshold),
        "training_data_checksum": training_data_checksum,
        "metrics": _plain(metrics or {}),
        "model_version": model_version,
        "extra": _plain(extra or {}),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def _read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} is corrupt or not a RadCase checkpoint: {exc}") from exc
    if not isinstance(raw, dict):
        raise CheckpointError(f"checkpoint {path} does not hold a dict")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks keys {missing}")
    if raw["format_version"] > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format {raw['format_version']} is newer than supported {FORMAT_VERSION}"
        )
    return raw


def _info(path: str | Path, raw: dict[str, Any]) -> CheckpointInfo:
    return CheckpointInfo(
        path=str(path),
        format_version=int(raw["format_version"]),
        model_version=str(raw["model_version"]),
        arch=str(raw["arch"]),
        class_names=list(raw["class_names"]),
        negative_class=str(raw["negative_class"]),
        tumor_classes=list(raw.get("tumor_classes", [])),
        input_size=int(raw["input_size"]),
        threshold=float(raw["threshold"]),
        temperature=float(raw["temperature"]),
        preprocess_steps=PreprocessConfig.from_dict(raw["preprocess"]).steps,
        training_data_checksum=raw.get("training_data_checksum"),
        metrics=dict(raw.get("metrics", {}).get("summary", {})),
    )


def read_checkpoint_info(path: str | Path) -> CheckpointInfo:
    """Metadata of a checkpoint (cheap: no network is built). Raises CheckpointError."""
    return _info(path, _read(path))


def load_checkpoint(
    path: str | Path, device: str | torch.device = "cpu", expected_classes: list[str] | None = None
) -> LoadedCheckpoint:
    """Build the network, load its weights and put it in eval mode on `device`."""
    raw = _read(path)
    info = _info(path, raw)
    if expected_classes is not None and list(expected_classes) != info.class_names:
        raise ClassMismatchError(f"checkpoint classes {info.class_names} != expected {expected_classes}")
    try:
        model = build_model(info.arch, len(info.class_names), **raw["arch_kwargs"])
    except Exception as exc:
        raise CheckpointError(f"cannot build {info.arch!r} from checkpoint {path}: {exc}") from exc
    try:
        model.load_state_dict(raw["state_dict"])
    except RuntimeError as exc:
        if "size mismatch" in str(exc) and len(info.class_names) != _head_size(raw["state_dict"]):
            raise ClassMismatchError(
                f"checkpoint lists {len(info.class_names)} classes but its head has "
                f"{_head_size(raw['state_dict'])} outputs"
            ) from exc
        raise CheckpointError(f"weights in {path} do not fit {info.arch}: {exc}") from exc
    model.to(device).eval()
    return LoadedCheckpoint(model, info, PreprocessConfig.from_dict(raw["preprocess"]), raw)


def _head_size(state_dict: dict[str, torch.Tensor]) -> int:
    """Output count of the last 2-D weight (the classifier)."""
    last = [v for v in state_dict.values() if isinstance(v, torch.Tensor) and v.ndim == 2]
    return int(last[-1].shape[0]) if last else -1
