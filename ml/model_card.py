# ruff: noqa: E501  (the card template below is Markdown prose, kept one paragraph a line)
"""Model card (Markdown + JSON) for a checkpoint, written from measured metrics.

Every figure in the card comes from `metrics.json` of the same evaluation
run; nothing is typed in by hand, so the card cannot drift from the numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ml.checkpoint import CheckpointInfo

INTENDED_USE = (
    "Research and workflow prototyping only: triage-style classification of single 2-D brain-MRI slices "
    "into glioma / meningioma / pituitary tumour / no tumour, with Grad-CAM for inspection. "
    "NOT FOR CLINICAL USE. Not a medical device; not validated on any clinical population."
)
LIMITATIONS = [
    "Trained from scratch on one public Kaggle compilation (figshare/Cheng et al., SARTAJ, Br35H); "
    "scanner, sequence and population coverage is unknown and likely narrow.",
    "The leakage-cleaned test set is small and unbalanced (few 'notumor' images survive dedup), "
    "so specificity confidence intervals are wide.",
    "Single 2-D slices only: no 3-D context, no sequence awareness; a volume is classified slice by slice.",
    "External validity on other scanners/contrasts is not measured here; expect lower figures.",
    "Grad-CAM maps are coarse (8x8 feature grid upsampled) and are not segmentations.",
    "Classes outside the four (other tumours, lesions, artefacts, non-brain images) are forced into one of them.",
]


def _pct(v: float | None) -> str:
    return "n/a" if v is None or v != v else f"{100 * v:.1f}%"


def _ci(ci: list[float] | None, as_pct: bool = True) -> str:
    if not ci:
        return ""
    lo, hi = (_pct(ci[0]), _pct(ci[1])) if as_pct else (f"{ci[0]:.4f}", f"{ci[1]:.4f}")
    return f" (95% CI {lo}-{hi})"


def build_card(info: CheckpointInfo, metrics: dict[str, Any]) -> dict[str, Any]:
    """The JSON card: identity, intended use, data, metrics, limitations."""
    cfg = metrics["training"]["config"]
    return {
        "model_version": info.model_version,
        "architecture": {
            "name": info.arch,
            "kwargs": cfg.get("arch_kwargs", {}),
            "input_size": info.input_size,
        },
        "classes": info.class_names,
        "negative_class": info.negative_class,
        "intended_use": INTENDED_USE,
        "not_for_clinical_use": True,
        "data_provenance": {
            "dataset": "Brain Tumor MRI Dataset (Masoud Nickparvar, Kaggle, CC0; merges figshare CC BY 4.0, "
            "SARTAJ, Br35H)",
            "training_split": "Training (minus a duplicate-group-disjoint validation split)",
            "training_data_checksum": info.training_data_checksum,
            "dedup": metrics["dedup"],
        },
        "preprocessing": {"steps": info.preprocess_steps, "config": cfg.get("preprocess")},
        "augmentation": cfg.get("augment"),
        "calibration": {
            "temperature": info.temperature,
            "threshold": info.threshold,
            "target_sensitivity": cfg.get("target_sensitivity"),
            **metrics["calibration"],
        },
        "metrics_clean_test": {
            "n": metrics["clean_test"]["n"],
            "accuracy": metrics["clean_test"]["accuracy"],
            "macro_f1": metrics["clean_test"]["macro_f1"],
            "macro_auc": metrics["clean_test"]["macro_auc"],
            "tumor_vs_no_tumor": metrics["clean_test"]["tumor_vs_no_tumor"],
            "per_class": metrics["clean_test"]["per_class"],
            "ci95": metrics["clean_test"]["ci95"],
        },
        "metrics_official_test_LEAKY": {
            "n": metrics["official_test_LEAKY"]["n"],
            "accuracy": metrics["official_test_LEAKY"]["accuracy"],
        },
        "metrics_strict_clean_test": metrics["strict_clean_test"],
        "targets_met": metrics["targets"],
        "limitations": LIMITATIONS,
    }


def write_model_card(
    card_dir: Path, info: CheckpointInfo, metrics: dict[str, Any], extra_sections: str = ""
) -> None:
    """Write model_card.json and model_card.md into `card_dir`."""
    card = build_card(info, metrics)
    (card_dir / "model_card.json").write_text(json.dumps(card, indent=2, default=float))
    c, b, ci = (
        metrics["clean_test"],
        metrics["clean_test"]["tumor_vs_no_tumor"],
        metrics["clean_test"]["ci95"],
    )
    cal = metrics["calibration"]
    d = metrics["dedup"]
    rows = "\n".join(
        f"| {name} | {_pct(m['sensitivity'])} | {_pct(m['specificity'])} | {_pct(m['ppv'])} | {_pct(m['npv'])} "
        f"| {m['f1']:.3f} | {m['support']} |"
        for name, m in c["per_class"].items()
    )
    targets = "\n".join(f"- {k}: {'met' if v else 'NOT met'}" for k, v in metrics["targets"].items())
    md = f"""# Model card: {info.model_version}

**NOT FOR CLINICAL USE.** Research use only; not a medical device.

## Intended use
{INTENDED_USE}

## Model
- Architecture: `{info.arch}` {json.dumps(card["architecture"]["kwargs"])}, 1-channel input {info.input_size}x{info.input_size}, trained from scratch.
- Classes: {", ".join(info.class_names)}; "tumour" = any class except `{info.negative_class}`.
- Preprocessing at inference: content crop + aspect-kept resize, then {", ".join(info.preprocess_steps) or "no intensity step"}.
- Temperature (fitted on validation): {info.temperature:.3f}. Tumour threshold on P(tumour) (chosen on validation for sensitivity ≥ {card["calibration"]["target_sensitivity"]}): {info.threshold:.4f}.
- Training-data checksum: `{info.training_data_checksum}`.

## Data provenance
{card["data_provenance"]["dataset"]}. Trained on `Training/` only ({metrics["training"]["train_size"]} images after the validation split); the data never enters the repository.
Leakage control (exact SHA-256 + content pHash ≤ {d["threshold"]} bits): {d["test_removed"]} of {d["n_test"]} Testing images duplicate a Training image ({d["test_exact_duplicates_of_train"]} byte-identical, {d["test_perceptual_only_duplicates_of_train"]} perceptual) and were removed, leaving **{d["test_clean"]}** clean test images ({json.dumps(d["test_clean_per_class"])}).

## Metrics on the leakage-cleaned Testing split (n = {c["n"]})
- Accuracy: **{_pct(c["accuracy"])}**{_ci(ci["accuracy"])}; macro-F1 {c["macro_f1"]:.3f}{_ci(ci["macro_f1"], as_pct=False)}; macro ROC-AUC {c["macro_auc"]:.4f}.
- Tumour vs no tumour at the shipped threshold: sensitivity **{_pct(b["sensitivity"])}**{_ci(ci["tumor_sensitivity"])}, specificity **{_pct(b["specificity"])}**{_ci(ci["tumor_specificity"])} (TP {b["tp"]}, FN {b["fn"]}, TN {b["tn"]}, FP {b["fp"]}), ROC-AUC {b["auc"]:.4f}{_ci(ci["tumor_auc"], as_pct=False)}.
- Calibration (clean test): ECE {cal["clean_test_before"]["ece"]:.4f} → **{cal["clean_test_after"]["ece"]:.4f}** after temperature scaling; MCE {cal["clean_test_before"]["mce"]:.3f} → {cal["clean_test_after"]["mce"]:.3f}; Brier {cal["clean_test_before"]["brier"]:.4f} → {cal["clean_test_after"]["brier"]:.4f}.
- Stricter leakage definition (pHash ≤ {metrics["strict_clean_test"]["phash_threshold"]}, n = {metrics["strict_clean_test"]["n"]}): accuracy {_pct(metrics["strict_clean_test"]["accuracy"])}.
- Official split (LEAKY, inflated by duplicates; for comparison only, n = {metrics["official_test_LEAKY"]["n"]}): accuracy {_pct(metrics["official_test_LEAKY"]["accuracy"])}.

| class | sensitivity | specificity | PPV | NPV | F1 | n |
|---|---|---|---|---|---|---|
{rows}

Targets of issue 4 (as measured):
{targets}

## What was done for generalisation
- Content crop + aspect-kept resize (scanner-independent framing); percentile intensity standardisation over the non-background pixels (scanner-independent intensity scale).
- Photometric augmentation modelled on scanner differences: gamma, contrast, brightness, smooth multiplicative bias field, Gaussian blur, Gaussian noise; geometric: flips, rotation, zoom, shift.
- Class-balanced sampling, label smoothing, early stopping on a duplicate-group-disjoint validation split.
- Temperature scaling and a sensitivity-first threshold chosen on validation, never on test.

## Limitations
{chr(10).join("- " + x for x in LIMITATIONS)}
{extra_sections}
## Plots
{chr(10).join(f"- `{v}`" for v in metrics["plots"].values())}
"""
    (card_dir / "model_card.md").write_text(md)
