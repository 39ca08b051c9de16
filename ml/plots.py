"""Evaluation figures (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from ml.calibration import reliability_bins


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def confusion_matrices(cm: np.ndarray, class_names: list[str], path: Path, title: str = "") -> Path:
    """Counts and row-normalised confusion matrices side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    for ax, mat, fmt, name in (
        (axes[0], cm, "d", "counts"),
        (axes[1], norm, ".2f", "normalised by true class"),
    ):
        ax.imshow(mat, cmap="Blues")
        for i in range(mat.shape[0]):
            for j in range(mat.shape[1]):
                ax.text(
                    j,
                    i,
                    format(mat[i, j], fmt),
                    ha="center",
                    va="center",
                    color="white" if mat[i, j] > mat.max() / 2 else "black",
                    fontsize=9,
                )
        ax.set_xticks(range(len(class_names)), class_names, rotation=30)
        ax.set_yticks(range(len(class_names)), class_names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{title} {name}".strip())
    return _save(fig, path)


def roc_pr_curves(
    labels: np.ndarray, probs: np.ndarray, class_names: list[str], negative: str, path: Path
) -> Path:
    """One-vs-rest ROC and PR curves per class, plus tumour-vs-no-tumour."""
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(10, 4.2))
    neg = class_names.index(negative)
    curves = [(name, (labels == i).astype(int), probs[:, i]) for i, name in enumerate(class_names)]
    curves.append(("tumour vs no tumour", (labels != neg).astype(int), 1 - probs[:, neg]))
    for name, y, s in curves:
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, s)
        prec, rec, _ = precision_recall_curve(y, s)
        style = {"lw": 2.5, "color": "black"} if name.startswith("tumour") else {"lw": 1.2}
        ax_roc.plot(fpr, tpr, label=name, **style)
        ax_pr.plot(rec, prec, label=name, **style)
    ax_roc.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (one-vs-rest)")
    ax_pr.set(xlabel="recall", ylabel="precision", title="precision-recall")
    ax_roc.legend(fontsize=8)
    return _save(fig, path)


def reliability(
    probs_before: np.ndarray, probs_after: np.ndarray, labels: np.ndarray, path: Path, temperature: float
) -> Path:
    """Reliability diagrams before/after temperature scaling, and the confidence histogram."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, probs, name in (
        (axes[0], probs_before, "before (T=1)"),
        (axes[1], probs_after, f"after (T={temperature:.2f})"),
    ):
        bins = reliability_bins(probs, labels)
        lower = np.array(bins["lower"])
        width = lower[1] - lower[0]
        ax.bar(
            lower, np.nan_to_num(bins["accuracy"]), width=width, align="edge", edgecolor="k", label="accuracy"
        )
        ax.plot([0, 1], [0, 1], "r--", label="perfect")
        ax.set(xlabel="confidence", ylabel="accuracy", title=f"reliability {name}", xlim=(0, 1), ylim=(0, 1))
        ax.legend(fontsize=8)
    axes[2].hist(probs_before.max(1), bins=20, range=(0, 1), alpha=0.6, label="before")
    axes[2].hist(probs_after.max(1), bins=20, range=(0, 1), alpha=0.6, label="after")
    axes[2].set(xlabel="top-class confidence", ylabel="images", title="confidence histogram")
    axes[2].legend(fontsize=8)
    return _save(fig, path)


def training_curves(history: list[dict[str, Any]], path: Path) -> Path:
    """Loss and accuracy per epoch, train vs validation."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    ep = [h["epoch"] for h in history]
    ax1.plot(ep, [h["train_loss"] for h in history], label="train (smoothed, augmented)")
    ax1.plot(ep, [h["val_loss"] for h in history], label="validation")
    ax1.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax2.plot(ep, [h["train_acc"] for h in history], label="train")
    ax2.plot(ep, [h["val_acc"] for h in history], label="validation")
    ax2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    return _save(fig, path)


def error_gallery(images: list[np.ndarray], titles: list[str], path: Path, cols: int = 6) -> Path:
    """The worst mistakes (most confident wrong predictions) with their labels."""
    n = max(1, len(images))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.4 * rows))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, img, title in zip(np.atleast_1d(axes).ravel(), images, titles, strict=False):
        ax.imshow(img, cmap="gray")
        ax.set_title(title, fontsize=7)
    return _save(fig, path)
