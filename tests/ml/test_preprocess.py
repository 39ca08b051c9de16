"""Geometry normalisation and the optional intensity steps."""

import numpy as np
import pytest

from ml.errors import ConfigError, InvalidInputError
from ml.preprocess import PreprocessConfig, apply_steps, fit_nyul, head_mask, prepare, prepare_geometry


def _phantom(h: int = 90, w: int = 120) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    img = (((yy - h / 2) / (h * 0.35)) ** 2 + ((xx - w / 2) / (w * 0.3)) ** 2 < 1) * 900.0
    return img.astype(np.uint16)


def test_geometry_gives_a_square_uint8_input_of_the_requested_size() -> None:
    out, geom = prepare_geometry(_phantom(), 64)
    assert out.shape == (64, 64) and out.dtype == np.uint8 and out.max() == 255
    assert geom.original_shape == (90, 120)


def test_a_heatmap_maps_back_to_the_original_slice_shape() -> None:
    _, geom = prepare_geometry(_phantom(), 64)
    back = geom.to_original(np.ones((64, 64), np.float32))
    assert back.shape == (90, 120)
    assert back.max() == pytest.approx(1.0) and back.min() == 0.0  # zero outside the content crop


@pytest.mark.parametrize(
    "config",
    [
        PreprocessConfig(n4=True),
        PreprocessConfig(brain_mask=True),
        PreprocessConfig(standardize="percentile"),
        PreprocessConfig(clahe=True),
        PreprocessConfig(n4=True, brain_mask=True, standardize="percentile", clahe=True),
    ],
)
def test_every_intensity_step_returns_float32_in_unit_range(config: PreprocessConfig) -> None:
    out, _ = prepare(_phantom(), 64, config)
    assert out.dtype == np.float32 and out.shape == (64, 64)
    assert out.min() >= 0.0 and out.max() <= 1.0 and out.max() > 0.5


def test_n4_flattens_a_synthetic_bias_field() -> None:
    flat, _ = prepare_geometry(_phantom(), 64)
    ramp = np.linspace(0.5, 1.0, 64)[None, :]
    biased = (flat * ramp).astype(np.uint8)
    mask = head_mask(biased / 255.0)
    corrected = apply_steps(biased, PreprocessConfig(n4=True))
    cv_before = biased[mask].std() / biased[mask].mean()
    cv_after = corrected[mask].std() / corrected[mask].mean()
    assert cv_after < cv_before


def test_nyul_landmarks_are_learned_increasing_and_used() -> None:
    images = np.stack([prepare_geometry(_phantom() * (1 + k), 32)[0] for k in range(3)])
    config = PreprocessConfig(standardize="nyul")
    config.nyul_landmarks = fit_nyul(images, config)
    assert np.all(np.diff(config.nyul_landmarks) >= 0)
    assert apply_steps(images[0], config).max() <= 1.0


def test_unknown_preprocessing_keys_are_rejected() -> None:
    with pytest.raises(ConfigError):
        PreprocessConfig.from_dict({"n4": True, "bogus": 1})
    with pytest.raises(ConfigError):
        PreprocessConfig(standardize="zscore")


def test_geometry_rejects_nan_and_empty_slices() -> None:
    bad = np.ones((10, 10), np.float32)
    bad[2, 2] = np.nan
    with pytest.raises(InvalidInputError):
        prepare_geometry(bad, 32)
    with pytest.raises(InvalidInputError):
        prepare_geometry(np.zeros((0, 5)), 32)
