"""Classification metrics with bootstrap confidence intervals (sklearn-based).

Tumour-vs-no-tumour is the clinically relevant binary question: P(tumour) is
1 - P(notumor), compared against the checkpoint's validation-chosen threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)


def _safe_div(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def binary_at_threshold(tumor_prob: np.ndarray, is_tumor: np.ndarray, threshold: float) -> dict[str, float]:
    """Sensitivity, specificity, PPV, NPV and counts of 'tumour if P >= threshold'."""
    pred = tumor_prob >= threshold
    tp = int((pred & is_tumor).sum())
    fn = int((~pred & is_tumor).sum())
    tn = int((~pred & ~is_tumor).sum())
    fp = int((pred & ~is_tumor).sum())
    return {
        "sensitivity": _safe_div(tp, tp + fn),
        "specificity": _safe_div(tn, tn + fp),
        "ppv": _safe_div(tp, tp + fp),
        "npv": _safe_div(tn, tn + fn),
        "tp": tp,
        "fn": fn,
        "tn": tn,
        "fp": fp,
    }


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else float("nan")


def _macro_auc(labels: np.ndarray, probs: np.ndarray) -> float:
    present = np.unique(labels)
    if len(present) < probs.shape[1]:
        return float("nan")
    return float(roc_auc_score(labels, probs, multi_class="ovr", average="macro"))


def classification_metrics(
    labels: np.ndarray, probs: np.ndarray, class_names: list[str], negative: str, threshold: float
) -> dict[str, Any]:
    """All point metrics of one prediction set."""
    neg = class_names.index(negative)
    pred = probs.argmax(1)
    k = len(class_names)
    cm = confusion_matrix(labels, pred, labels=list(range(k)))
    _prec, _rec, f1, support = precision_recall_fscore_support(
        labels, pred, labels=list(range(k)), zero_division=0
    )
    per_class = {}
    for i, name in enumerate(class_names):
        tp = cm[i, i]
        fn = cm[i].sum() - tp
        fp = cm[:, i].sum() - tp
        tn = cm.sum() - tp - fn - fp
        per_class[name] = {
            "sensitivity": _safe_div(tp, tp + fn),
            "specificity": _safe_div(tn, tn + fp),
            "ppv": _safe_div(tp, tp + fp),
            "npv": _safe_div(tn, tn + fn),
            "f1": float(f1[i]),
            "support": int(support[i]),
            "auc_ovr": _auc((labels == i).astype(int), probs[:, i]),
        }
    tumor_prob = 1.0 - probs[:, neg]
    is_tumor = labels != neg
    binary = binary_at_threshold(tumor_prob, is_tumor, threshold)
    binary_05 = binary_at_threshold(tumor_prob, is_tumor, 0.5)
    return {
        "n": len(labels),
        "accuracy": float(accuracy_score(labels, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(labels, pred)),
        "macro_f1": float(f1_score(labels, pred, average="macro", zero_division=0)),
        "macro_auc": _macro_auc(labels, probs),
        "per_class": per_class,
        "confusion": cm.tolist(),
        "confusion_normalised": (cm / np.maximum(cm.sum(1, keepdims=True), 1)).round(4).tolist(),
        "tumor_vs_no_tumor": {
            "auc": _auc(is_tumor.astype(int), tumor_prob),
            "average_precision": float(average_precision_score(is_tumor, tumor_prob))
            if is_tumor.any()
            else float("nan"),
            "threshold": float(threshold),
            **binary,
            "at_0.5": binary_05,
        },
    }


def bootstrap_ci(
    labels: np.ndarray,
    probs: np.ndarray,
    class_names: list[str],
    negative: str,
    threshold: float,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, list[float]]:
    """Percentile bootstrap 95% CIs of the headline metrics (resampling images)."""
    neg = class_names.index(negative)
    rng = np.random.default_rng(seed)
    n = len(labels)
    keys = ("accuracy", "macro_f1", "macro_auc", "tumor_auc", "tumor_sensitivity", "tumor_specificity")
    samples: dict[str, list[float]] = {key: [] for key in keys}
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        y, p = labels[idx], probs[idx]
        pred = p.argmax(1)
        tumor_prob, is_tumor = 1 - p[:, neg], y != neg
        b = binary_at_threshold(tumor_prob, is_tumor, threshold)
        samples["accuracy"].append(float((pred == y).mean()))
        samples["macro_f1"].append(float(f1_score(y, pred, average="macro", zero_division=0)))
        samples["macro_auc"].append(_macro_auc(y, p))
        samples["tumor_auc"].append(_auc(is_tumor.astype(int), tumor_prob))
        samples["tumor_sensitivity"].append(b["sensitivity"])
        samples["tumor_specificity"].append(b["specificity"])
    out = {}
    for key, vals in samples.items():
        arr = np.asarray(vals, dtype=np.float64)
        arr = arr[np.isfinite(arr)]
        out[key] = (
            [float(np.quantile(arr, alpha / 2)), float(np.quantile(arr, 1 - alpha / 2))]
            if arr.size
            else [float("nan"), float("nan")]
        )
    return out
