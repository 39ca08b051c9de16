"""The Predictor contract the platform relies on."""

from pathlib import Path

import numpy as np
import pytest

from ml.errors import CheckpointError, InvalidInputError
from ml.inference import Prediction, Predictor, overlay_png

from .conftest import synthetic_slice


@pytest.fixture(scope="module")
def predictor(tiny_checkpoint: Path) -> Predictor:
    return Predictor(tiny_checkpoint, device="cpu")


def _slice() -> np.ndarray:
    return synthetic_slice(0, np.random.default_rng(0), size=60)


def test_a_2d_slice_gives_one_calibrated_prediction(predictor: Predictor) -> None:
    p = predictor.predict(_slice())
    assert isinstance(p, Prediction)
    assert sum(p.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert p.predicted_class == max(p.probabilities, key=p.probabilities.get)
    assert p.tumor_probability == pytest.approx(1 - p.probabilities["notumor"], abs=1e-6)
    assert p.tumor_positive == (p.tumor_probability >= p.threshold)
    assert p.model_version == "test-tiny" and p.elapsed_ms > 0 and p.heatmap is None


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a.astype(np.uint16) * 64,
        lambda a: a.astype(np.float64) / 255.0,
        lambda a: np.dstack([a] * 3),
        lambda a: np.dstack([a] * 3 + [np.full_like(a, 255)]),
    ],
)
def test_any_numeric_dtype_and_rgb_or_rgba_is_accepted(predictor: Predictor, convert) -> None:
    base = predictor.predict(_slice())
    other = predictor.predict(convert(_slice()))
    assert other.predicted_class == base.predicted_class


def test_a_volume_gives_one_prediction_per_slice(predictor: Predictor) -> None:
    out = predictor.predict(np.stack([_slice()] * 3))
    assert isinstance(out, list) and len(out) == 3


def test_the_gradcam_heatmap_has_the_input_slice_shape(predictor: Predictor) -> None:
    image = np.pad(_slice(), ((0, 10), (5, 0)))
    p = predictor.predict(image, gradcam=True)
    assert p.heatmap is not None and p.heatmap.shape == image.shape and p.heatmap.dtype == np.float32
    assert p.heatmap.min() >= 0.0 and p.heatmap.max() <= 1.0
    png = overlay_png(image, p.heatmap)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("mode", ["mc_dropout", "tta"])
def test_uncertainty_modes_report_entropy(predictor: Predictor, mode: str) -> None:
    p = predictor.predict(_slice(), uncertainty=mode)
    assert p.uncertainty is not None and p.uncertainty["method"] == mode
    assert p.uncertainty["predictive_entropy"] >= 0.0


def test_predictor_rejects_an_array_containing_nan(predictor: Predictor) -> None:
    image = _slice().astype(np.float32)
    image[3, 3] = np.nan
    with pytest.raises(InvalidInputError, match="NaN"):
        predictor.predict(image)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((0, 0)),
        np.zeros((2, 3, 4, 5)),
        np.zeros(10),
        np.zeros((4, 4)),
        np.array([["a", "b"], ["c", "d"]]),
    ],
)
def test_predictor_rejects_empty_or_wrongly_shaped_input(predictor: Predictor, bad: np.ndarray) -> None:
    with pytest.raises(InvalidInputError):
        predictor.predict(bad)


def test_an_unknown_uncertainty_mode_is_invalid_input(predictor: Predictor) -> None:
    with pytest.raises(InvalidInputError):
        predictor.predict(_slice(), uncertainty="bayes")


def test_a_missing_checkpoint_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError):
        Predictor(tmp_path / "none.pt")
