"""`python -m ml ablation`: train and evaluate several arms under one budget.

Used for the preprocessing ablation (none / each step / all steps) and the
architecture comparison (our compact CNN vs MONAI DenseNet121). Every arm
shares the YAML's `base` config (same input size, epochs, seed, split) and
overrides only what it names, so the deltas measure the arm's change alone.
Arms already finished are read back, so an interrupted run resumes.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import yaml

from ml.config import TrainConfig
from ml.errors import ConfigError


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        # preprocess/augment settings merge key by key; arch_kwargs belong to one
        # architecture, so an arm that names them replaces them whole
        if key != "arch_kwargs" and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def run_ablation(
    config_path: str | Path,
    output_dir: str | Path,
    data_root: str | None = None,
    only: list[str] | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Run every arm (or those in `only`); write results.json and results.md in `output_dir`."""
    from ml.evaluate import evaluate
    from ml.train import train

    spec = yaml.safe_load(Path(config_path).read_text())
    if not isinstance(spec, dict) or "base" not in spec or "arms" not in spec:
        raise ConfigError("an ablation config needs 'base' and 'arms' mappings")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for name, override in spec["arms"].items():
        if only and name not in only:
            continue
        arm_dir = out / name
        result_file = arm_dir / "result.json"
        if result_file.exists():
            results.append(json.loads(result_file.read_text()))
            continue
        cfg = TrainConfig.from_dict(_merge(spec["base"], override or {}))
        cfg.output_dir = str(arm_dir)
        if data_root:
            cfg.data_root = data_root
        t0 = time.perf_counter()
        ckpt = train(cfg, progress=progress)
        train_s = time.perf_counter() - t0
        m = evaluate(ckpt, arm_dir / "reports", data_root=data_root, n_boot=200, progress=progress)
        c, b = m["clean_test"], m["clean_test"]["tumor_vs_no_tumor"]
        row = {
            "arm": name,
            "arch": cfg.arch,
            "input_size": cfg.input_size,
            "epochs": cfg.epochs,
            "preprocess": cfg.preprocess.steps,
            "clean_test_n": c["n"],
            "accuracy": c["accuracy"],
            "accuracy_ci95": c["ci95"]["accuracy"],
            "macro_f1": c["macro_f1"],
            "tumor_auc": b["auc"],
            "tumor_sensitivity": b["sensitivity"],
            "tumor_specificity": b["specificity"],
            "official_accuracy_LEAKY": m["official_test_LEAKY"]["accuracy"],
            "val_accuracy": m["validation"]["accuracy"],
            "train_seconds": train_s,
            "seconds_per_epoch": m["training"]["seconds_per_epoch"],
        }
        result_file.write_text(json.dumps(row, indent=2))
        results.append(row)
        print(json.dumps(row), flush=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(results_table(results))
    return results


def results_table(results: list[dict[str, Any]]) -> str:
    """Markdown table with accuracy deltas against the first arm."""
    if not results:
        return ""
    ref = results[0]["accuracy"]
    lines = [
        "| arm | arch | steps | clean-test acc (95% CI) | Δ vs first | tumour AUC | sens | spec | s/epoch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lo, hi = r["accuracy_ci95"]
        lines.append(
            f"| {r['arm']} | {r['arch']} | {'+'.join(r['preprocess']) or 'none'} "
            f"| {100 * r['accuracy']:.1f}% ({100 * lo:.1f}-{100 * hi:.1f}) "
            f"| {100 * (r['accuracy'] - ref):+.1f} pt | {r['tumor_auc']:.4f} | "
            f"{100 * r['tumor_sensitivity']:.1f}% | {100 * r['tumor_specificity']:.1f}% | "
            f"{r['seconds_per_epoch']:.0f} |"
        )
    return "\n".join(lines) + "\n"
