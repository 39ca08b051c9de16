"""Comparing two frames: SSIM and mean absolute difference behave as a person
expects, sizes and colour are handled, and the difference map is a PNG."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from apps.imaging.conversion.compare import compare_frames


def ct_hu() -> np.ndarray:
    ds = pydicom.dcmread(Path(get_testdata_file("CT_small.dcm", download=False)))
    return ds.pixel_array.astype(np.float32) * np.float32(ds.RescaleSlope) + np.float32(ds.RescaleIntercept)


def test_identical_frames_have_ssim_one_and_no_difference():
    hu = ct_hu()
    result = compare_frames(hu, hu.copy(), window_a=(40, 400), window_b=(40, 400))
    assert result.ssim == pytest.approx(1.0, abs=1e-6)
    assert result.mean_abs_diff == pytest.approx(0.0, abs=1e-9)
    assert result.shape == hu.shape and not result.b_resampled
    assert (result.normalisation_a, result.normalisation_b) == ("window", "window")
    assert np.asarray(Image.open(io.BytesIO(result.difference_png))).max() == 0  # all black


def test_more_noise_means_lower_ssim_and_higher_mean_absolute_difference():
    hu = ct_hu()
    rng = np.random.default_rng(11)
    results = [compare_frames(hu, hu + rng.normal(0, sigma, hu.shape).astype(np.float32),
                              window_a=(40, 400), window_b=(40, 400))
               for sigma in (5, 20, 60, 200)]
    ssims = [r.ssim for r in results]
    mads = [r.mean_abs_diff for r in results]
    assert ssims == sorted(ssims, reverse=True) and len(set(ssims)) == 4
    assert mads == sorted(mads) and len(set(mads)) == 4
    assert ssims[0] > 0.9 and ssims[-1] < 0.5
    assert all(0.0 <= m <= 1.0 for m in mads)


def test_without_windows_both_frames_are_normalised_by_percentiles_so_units_do_not_matter():
    hu = ct_hu()
    scaled = hu * 3.0 + 500.0  # the same picture in other units
    result = compare_frames(hu, scaled)
    assert result.normalisation_a == "percentile"
    assert result.ssim == pytest.approx(1.0, abs=1e-4)
    assert result.mean_abs_diff < 1e-4


def test_a_frame_of_another_size_is_resampled_to_the_first_ones_shape():
    hu = ct_hu()
    half = hu[::2, ::2]
    result = compare_frames(hu, half)
    assert result.b_resampled and result.shape == (128, 128)
    assert result.ssim > 0.6  # the same anatomy, only blurrier
    unrelated = compare_frames(hu, np.random.default_rng(2).normal(size=(64, 64)).astype(np.float32))
    assert unrelated.ssim < result.ssim and unrelated.mean_abs_diff > result.mean_abs_diff
    bigger = compare_frames(half, hu)
    assert bigger.b_resampled and bigger.shape == (64, 64)


def test_colour_frames_are_compared_as_grey():
    grey = np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (30, 1))
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    result = compare_frames(rgb, grey.astype(np.float32), window_b=(127.5, 255))
    assert result.normalisation_a == "colour"
    assert result.ssim == pytest.approx(1.0, abs=1e-3)
    assert result.mean_abs_diff < 0.01


def test_the_difference_map_is_a_colour_png_of_the_compared_shape_that_shows_where_they_differ():
    hu = ct_hu()
    changed = hu.copy()
    changed[10:30, 10:30] = 200.0  # a new bright "lesion" in the top-left corner
    assert hu[10:30, 10:30].mean() < 0  # where there was none
    result = compare_frames(hu, changed, window_a=(40, 400), window_b=(40, 400))
    image = Image.open(io.BytesIO(result.difference_png))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (128, 128)
    pixels = np.asarray(image).astype(int).sum(axis=2)
    assert pixels[12:28, 12:28].mean() > 3 * max(pixels[60:120, 60:120].mean(), 1)


def test_frames_too_small_to_compare_are_refused():
    with pytest.raises(ValueError):
        compare_frames(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32))
