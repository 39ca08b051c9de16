"""Temperature scaling, calibration errors, threshold choice and metrics."""

import numpy as np
import pytest

from ml.calibration import calibration_errors, fit_temperature, softmax, threshold_for_sensitivity
from ml.metrics import binary_at_threshold, bootstrap_ci, classification_metrics

NAMES = ["glioma", "meningioma", "notumor", "pituitary"]


def _calibrated_sample(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (n, 4))
    probs = softmax(logits)
    labels = np.array([rng.choice(4, p=p) for p in probs])
    return logits, labels


def test_temperature_fit_recovers_a_known_overconfidence() -> None:
    logits, labels = _calibrated_sample()
    assert fit_temperature(logits * 2.5, labels) == pytest.approx(2.5, rel=0.15)


def test_temperature_scaling_lowers_ece_of_overconfident_logits() -> None:
    logits, labels = _calibrated_sample()
    before = calibration_errors(softmax(logits * 3), labels)["ece"]
    t = fit_temperature(logits * 3, labels)
    after = calibration_errors(softmax(logits * 3, t), labels)["ece"]
    assert after < before and after < 0.03


def test_threshold_meets_the_target_sensitivity_on_its_own_data() -> None:
    rng = np.random.default_rng(1)
    is_tumor = rng.random(500) < 0.7
    prob = np.clip(is_tumor * 0.6 + rng.normal(0.2, 0.15, 500), 0, 1)
    thr = threshold_for_sensitivity(prob, is_tumor, 0.99)
    assert binary_at_threshold(prob, is_tumor, thr)["sensitivity"] >= 0.99
    assert thr <= 0.5


def test_metrics_match_a_hand_counted_example() -> None:
    labels = np.array([0, 0, 1, 2, 2, 3])
    probs = np.eye(4)[[0, 1, 1, 2, 0, 3]] * 0.9 + 0.025
    m = classification_metrics(labels, probs, NAMES, "notumor", 0.5)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["per_class"]["glioma"]["sensitivity"] == pytest.approx(0.5)
    b = m["tumor_vs_no_tumor"]
    assert (b["tp"], b["fn"], b["tn"], b["fp"]) == (4, 0, 1, 1)
    assert m["confusion"][2] == [1, 0, 1, 0]


def test_bootstrap_intervals_bracket_the_point_estimate() -> None:
    logits, labels = _calibrated_sample(400)
    probs = softmax(logits)
    ci = bootstrap_ci(labels, probs, NAMES, "notumor", 0.5, n_boot=200)
    acc = float((probs.argmax(1) == labels).mean())
    assert ci["accuracy"][0] <= acc <= ci["accuracy"][1]
    assert ci["accuracy"][1] - ci["accuracy"][0] < 0.2
