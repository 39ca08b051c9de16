"""The versioned checkpoint artefact and its typed failures."""

from pathlib import Path

import pytest
import torch

from ml.checkpoint import load_checkpoint, read_checkpoint_info, save_checkpoint
from ml.errors import CheckpointError, ClassMismatchError
from ml.models import build_model
from ml.preprocess import PreprocessConfig

NAMES = ["glioma", "meningioma", "notumor", "pituitary"]


def _save(path: Path, class_names: list[str] = NAMES, heads: int = 4) -> Path:
    model = build_model("compact", heads, widths=[8, 8, 8, 8])
    return save_checkpoint(
        path,
        model=model,
        arch="compact",
        arch_kwargs={"widths": [8, 8, 8, 8]},
        class_names=class_names,
        preprocess=PreprocessConfig(standardize="percentile"),
        input_size=32,
        temperature=1.7,
        threshold=0.2,
        training_data_checksum="abc",
        metrics={"summary": {"val_accuracy": 0.9}},
        model_version="t-1",
    )


def test_a_saved_checkpoint_round_trips_all_its_metadata(tmp_path: Path) -> None:
    path = _save(tmp_path / "m.pt")
    info = read_checkpoint_info(path)
    assert (info.arch, info.input_size, info.temperature, info.threshold) == ("compact", 32, 1.7, 0.2)
    assert info.class_names == NAMES and info.tumor_classes == ["glioma", "meningioma", "pituitary"]
    assert info.preprocess_steps == ["standardize:percentile"] and info.metrics["val_accuracy"] == 0.9
    loaded = load_checkpoint(path)
    assert not loaded.model.training and loaded.info.model_version == "t-1"


def test_a_missing_checkpoint_raises_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        read_checkpoint_info(tmp_path / "nope.pt")


def test_a_corrupt_checkpoint_raises_checkpoint_error(tmp_path: Path) -> None:
    path = _save(tmp_path / "m.pt")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_a_checkpoint_holding_arbitrary_objects_is_refused_not_executed(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "evil.pt")


def test_a_head_of_the_wrong_size_is_a_class_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    model = build_model("compact", 3, widths=[8, 8, 8, 8])
    save_checkpoint(
        path,
        model=model,
        arch="compact",
        arch_kwargs={"widths": [8, 8, 8, 8]},
        class_names=NAMES,
        preprocess=PreprocessConfig(),
        input_size=32,
    )
    with pytest.raises(ClassMismatchError):
        load_checkpoint(path)


def test_expecting_other_class_names_is_a_class_mismatch(tmp_path: Path) -> None:
    path = _save(tmp_path / "m.pt")
    with pytest.raises(ClassMismatchError):
        load_checkpoint(path, expected_classes=["a", "b", "c", "d"])
