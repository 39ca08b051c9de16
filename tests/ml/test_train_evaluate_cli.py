"""End-to-end smoke runs on a tiny synthetic dataset: train, evaluate, CLI."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ml.checkpoint import read_checkpoint_info
from ml.cli import main
from ml.evaluate import evaluate
from ml.paths import REPO_ROOT


def test_training_writes_best_and_last_checkpoints_and_a_csv_log(tiny_checkpoint: Path) -> None:
    run = tiny_checkpoint.parent
    for name in ("model.pt", "last.pt", "history.csv", "config.yaml", "dedup.json", "split.json"):
        assert (run / name).is_file(), name
    rows = list(csv.DictReader((run / "history.csv").open()))
    assert len(rows) == 1 and float(rows[0]["val_loss"]) > 0
    info = read_checkpoint_info(tiny_checkpoint)
    assert info.temperature > 0 and 0 < info.threshold <= 0.5
    assert info.training_data_checksum and len(info.training_data_checksum) == 64


def test_evaluation_writes_metrics_plots_and_a_model_card(tiny_checkpoint: Path, tmp_path: Path) -> None:
    m = evaluate(tiny_checkpoint, tmp_path / "reports", n_boot=20, card_dir=tmp_path / "card", progress=False)
    assert m["dedup"]["test_removed"] >= 2  # the planted exact and resized copies
    assert m["clean_test"]["n"] == m["dedup"]["test_clean"]
    assert 0.0 <= m["clean_test"]["accuracy"] <= 1.0
    assert set(m["calibration"]) >= {"clean_test_before", "clean_test_after", "temperature"}
    for plot in m["plots"].values():
        assert (tmp_path / "reports" / plot).stat().st_size > 1000
    saved = json.loads((tmp_path / "reports" / "metrics.json").read_text())
    assert saved["clean_test"]["accuracy"] == m["clean_test"]["accuracy"]
    card = (tmp_path / "card" / "model_card.md").read_text()
    assert "NOT FOR CLINICAL USE" in card and "clean" in card
    assert json.loads((tmp_path / "card" / "model_card.json").read_text())["not_for_clinical_use"] is True


def test_cli_predict_prints_json_with_a_heatmap_shape(
    tiny_checkpoint: Path, tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = next((tiny_dataset / "Testing" / "pituitary").iterdir())
    assert main(["predict", "--checkpoint", str(tiny_checkpoint), "--image", str(image), "--gradcam"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["predicted_class"] in out["probabilities"] and len(out["heatmap_shape"]) == 2


def test_cli_reports_a_missing_checkpoint_as_a_typed_error(
    tmp_path: Path, tiny_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = next((tiny_dataset / "Testing" / "glioma").iterdir())
    assert main(["predict", "--checkpoint", str(tmp_path / "x.pt"), "--image", str(image)]) == 2
    assert json.loads(capsys.readouterr().err)["error"] == "CheckpointError"


def test_python_dash_m_ml_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ml", "--help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "evaluate" in done.stdout and "predict" in done.stdout
