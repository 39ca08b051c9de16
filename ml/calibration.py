"""Temperature scaling, calibration errors and the sensitivity-first threshold.

Temperature is fitted on validation logits only (never on test), by
minimising NLL over log T with L-BFGS; one scalar cannot change the
predicted class, so accuracy is untouched while confidence becomes honest.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch


def fit_temperature(logits: np.ndarray, labels: np.ndarray, max_iter: int = 200) -> float:
    """The T > 0 minimising cross-entropy of softmax(logits / T) on (logits, labels)."""
    z = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(np.clip(log_t.exp().item(), 0.05, 20.0))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def calibration_errors(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> dict[str, float]:
    """ECE, MCE (top-label, equal-width bins) and multi-class Brier score."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece, mce = 0.0, 0.0
    for lo, hi in itertools.pairwise(edges):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - conf[in_bin].mean())
            ece += in_bin.mean() * gap
            mce = max(mce, gap)
    onehot = np.eye(probs.shape[1])[labels]
    brier = float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))
    return {"ece": float(ece), "mce": float(mce), "brier": brier}


def reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> dict[str, list[float]]:
    """Per-bin mean confidence, accuracy and count (for the reliability diagram)."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    out: dict[str, list[float]] = {"confidence": [], "accuracy": [], "count": [], "lower": []}
    for lo, hi in itertools.pairwise(edges):
        in_bin = (conf > lo) & (conf <= hi)
        out["lower"].append(float(lo))
        out["count"].append(float(in_bin.sum()))
        out["confidence"].append(float(conf[in_bin].mean()) if in_bin.any() else float("nan"))
        out["accuracy"].append(float(correct[in_bin].mean()) if in_bin.any() else float("nan"))
    return out


def threshold_for_sensitivity(tumor_prob: np.ndarray, is_tumor: np.ndarray, target: float) -> float:
    """The highest threshold on P(tumour) whose sensitivity on (tumor_prob, is_tumor) is >= target.

    Highest, because among thresholds that meet the sensitivity target it
    gives the best specificity. A small margin below the chosen positive's
    score keeps the choice from sitting exactly on a validation sample.
    """
    pos = np.sort(np.asarray(tumor_prob)[np.asarray(is_tumor, dtype=bool)])
    if pos.size == 0:
        return 0.5
    k = int(np.floor((1.0 - target) * pos.size))  # positives we may miss
    return float(max(min(pos[k] * 0.999, 0.5), 1e-4))
