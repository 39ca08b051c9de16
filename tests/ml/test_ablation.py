"""The ablation / comparison runner on the tiny synthetic dataset."""

import json
from pathlib import Path

import pytest
import yaml

from ml.ablation import run_ablation
from ml.errors import ConfigError


def test_every_arm_is_trained_evaluated_and_tabulated(tiny_dataset: Path, tmp_path: Path) -> None:
    spec = {
        "base": {
            "input_size": 32,
            "epochs": 1,
            "batch_size": 16,
            "arch_kwargs": {"widths": [8, 8, 16, 16]},
            "val_fraction": 0.25,
            "num_threads": 1,
        },
        "arms": {"none": {}, "clahe": {"preprocess": {"clahe": True}}},
    }
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    rows = run_ablation(tmp_path / "a.yaml", tmp_path / "out", data_root=str(tiny_dataset))
    assert [r["arm"] for r in rows] == ["none", "clahe"]
    assert rows[1]["preprocess"] == ["clahe"] and 0.0 <= rows[1]["accuracy"] <= 1.0
    table = (tmp_path / "out" / "results.md").read_text()
    assert "| clahe |" in table and "Δ vs first" in table
    # a second run reads finished arms back instead of retraining them
    again = run_ablation(tmp_path / "a.yaml", tmp_path / "out", data_root=str(tiny_dataset))
    assert json.dumps(again) == json.dumps(rows)


def test_an_ablation_file_without_arms_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: {}\n")
    with pytest.raises(ConfigError):
        run_ablation(tmp_path / "a.yaml", tmp_path / "out")


def test_an_arm_merges_preprocessing_but_replaces_architecture_kwargs() -> None:
    from ml.ablation import _merge

    base = {"arch_kwargs": {"widths": [8, 8]}, "preprocess": {"n4": False, "clahe": False}}
    arm = _merge(base, {"arch_kwargs": {"dropout": 0.1}, "preprocess": {"n4": True}})
    assert arm["arch_kwargs"] == {"dropout": 0.1}
    assert arm["preprocess"] == {"n4": True, "clahe": False}
