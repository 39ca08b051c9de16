"""Rendering: DICOM VOI LUT windowing, MONOCHROME1, colour pass-through,
downscaling, PNG output that decodes, and raw 16-bit slices that round-trip to
modality units. No Django, no database."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from apps.imaging.conversion.render import (
    apply_window,
    encode_png,
    raw_slice_16bit,
    render_png,
    thumbnail_png,
)


def decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image)


def ct_small_hu() -> tuple[np.ndarray, pydicom.Dataset]:
    ds = pydicom.dcmread(Path(get_testdata_file("CT_small.dcm", download=False)))
    stored = ds.pixel_array.astype(np.float32)
    return stored * np.float32(ds.RescaleSlope) + np.float32(ds.RescaleIntercept), ds


def test_values_below_the_window_are_black_above_are_white_and_the_centre_is_mid_grey():
    frame = np.array([[-1000.0, 39.5, 40.0, 40.5, 3000.0]], dtype=np.float32)
    out = apply_window(frame, window_center=40, window_width=400)
    assert out.dtype == np.uint8
    assert out[0, 0] == 0 and out[0, 4] == 255
    assert abs(int(out[0, 2]) - 128) <= 1
    assert out[0, 1] <= out[0, 2] <= out[0, 3]


def test_the_window_edges_follow_the_dicom_linear_formula():
    c, w = 100.0, 201.0  # edges at c - 0.5 -/+ (w - 1) / 2 = -0.5 and 199.5
    frame = np.array([[-0.5, -0.4, 199.4, 199.6]], dtype=np.float32)
    out = apply_window(frame, window_center=c, window_width=w)
    assert out[0, 0] == 0  # x <= lower edge -> ymin
    assert out[0, 1] == 0  # just inside: 0.1/200*255 rounds to 0
    assert out[0, 2] == 255  # 199.9/200*255 = 254.9 rounds up
    assert out[0, 3] == 255  # x > upper edge -> ymax
    ramp = apply_window(np.linspace(-0.5, 199.5, 201, dtype=np.float32)[None, :], window_center=c,
                        window_width=w)
    assert np.all(np.diff(ramp[0].astype(int)) >= 0) and ramp[0, 0] == 0 and ramp[0, -1] == 255


def test_a_window_of_width_one_is_a_threshold_and_narrower_is_refused():
    out = apply_window(np.array([[9.4, 9.6]], dtype=np.float32), window_center=10, window_width=1)
    assert out.tolist() == [[0, 255]]
    with pytest.raises(ValueError):
        apply_window(np.zeros((2, 2), np.float32), window_center=0, window_width=0.5)


def test_monochrome1_is_shown_inverted():
    frame = np.array([[-1000.0, 40.0, 3000.0]], dtype=np.float32)
    normal = apply_window(frame, window_center=40, window_width=400)
    inverted = apply_window(frame, window_center=40, window_width=400, photometric="MONOCHROME1")
    assert inverted.tolist() == (255 - normal.astype(int)).tolist()
    assert inverted[0, 0] == 255 and inverted[0, 2] == 0


def test_nan_pixels_render_black_instead_of_garbage():
    frame = np.array([[np.nan, 1e9, -np.inf]], dtype=np.float32)
    assert apply_window(frame, window_center=0, window_width=100).tolist() == [[0, 255, 0]]


def test_the_input_frame_is_not_modified():
    frame = np.linspace(-500, 500, 64, dtype=np.float32).reshape(8, 8)
    before = frame.copy()
    render_png(frame, window_center=0, window_width=300, photometric="MONOCHROME1", max_size=4)
    assert np.array_equal(frame, before)


def test_real_ct_with_rescale_applied_shows_air_dark_and_bone_bright():
    hu, ds = ct_small_hu()
    assert float(ds.RescaleIntercept) != 0  # the rescale really matters for this file
    png = render_png(hu, window_center=300, window_width=1500)  # a bone window
    pixels = decode(png)
    assert pixels.shape == (ds.Rows, ds.Columns)
    air, bone = hu < -500, hu > 700
    assert air.any() and bone.any()
    assert pixels[air].mean() < 60
    assert pixels[bone].mean() > 180
    # without the rescale the same window would be wrong: stored values are not HU
    raw = render_png(ds.pixel_array.astype(np.float32), window_center=300, window_width=1500)
    assert not np.array_equal(decode(raw), pixels)


def test_colour_frames_are_passed_through_unchanged():
    rgb = np.random.default_rng(3).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    pixels = decode(render_png(rgb, window_center=0, window_width=1))
    assert pixels.shape == (20, 30, 3)
    assert np.array_equal(pixels, rgb)


def test_a_large_frame_is_scaled_down_keeping_its_aspect_ratio_and_a_small_one_is_not_enlarged():
    frame = np.zeros((300, 600), dtype=np.float32)

    def size(max_size):
        return Image.open(io.BytesIO(render_png(frame, window_center=0, window_width=10,
                                                max_size=max_size))).size

    assert size(200) == (200, 100)
    assert size(1000) == (600, 300)


def test_a_thumbnail_fits_in_its_square():
    hu, _ = ct_small_hu()
    tall = np.repeat(hu, 2, axis=0)  # 256 x 128
    image = Image.open(io.BytesIO(thumbnail_png(tall, window_center=40, window_width=400,
                                                photometric="MONOCHROME2", size=64)))
    assert image.size == (32, 64) and image.mode == "L"


def test_the_png_writer_round_trips_grey_and_rgb_exactly():
    rng = np.random.default_rng(5)
    grey = rng.integers(0, 256, (17, 9), dtype=np.uint8)
    rgb = rng.integers(0, 256, (5, 11, 3), dtype=np.uint8)
    assert np.array_equal(decode(encode_png(grey)), grey)
    assert np.array_equal(decode(encode_png(rgb)), rgb)
    with pytest.raises(ValueError):
        encode_png(grey.astype(np.uint16))


def test_a_512_frame_renders_in_a_few_milliseconds():
    y, x = np.mgrid[0:512, 0:512]
    frame = (np.sin(x / 20.0) * np.cos(y / 30.0) * 800).astype(np.float32)
    frame += np.random.default_rng(0).normal(0, 20, frame.shape).astype(np.float32)
    render_png(frame, window_center=0, window_width=1000)  # warm up
    timings = []
    for _ in range(10):
        start = time.perf_counter()
        render_png(frame, window_center=0, window_width=1000)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.025, f"render took {min(timings) * 1000:.1f} ms"  # ~4 ms here; slack for CI


def test_raw_slice_of_integer_ct_values_is_exact_int16():
    hu, _ = ct_small_hu()
    raw = raw_slice_16bit(hu)
    assert (raw.dtype, raw.slope, raw.intercept, raw.rows, raw.columns) == ("int16", 1.0, 0.0, 128, 128)
    assert len(raw.data) == 128 * 128 * 2
    assert np.array_equal(np.frombuffer(raw.data, dtype="<i2").reshape(128, 128), hu.astype(np.int16))
    assert raw.min_value == float(hu.min()) and raw.max_value == float(hu.max())


def test_raw_slice_of_large_unsigned_values_is_exact_uint16():
    frame = np.array([[0, 40000, 65535]], dtype=np.float32)
    raw = raw_slice_16bit(frame)
    assert raw.dtype == "uint16" and raw.slope == 1.0
    assert raw.modality_values().tolist() == [[0, 40000, 65535]]


@pytest.mark.parametrize("low, high", [(-0.5, 0.75), (-1e6, 3e6), (1e-3, 2e-3)])
def test_raw_slice_of_float_values_round_trips_within_the_quantisation_step(low, high):
    frame = np.random.default_rng(7).uniform(low, high, (64, 48)).astype(np.float32)
    raw = raw_slice_16bit(frame)
    assert raw.dtype == "uint16" and raw.byte_order == "little"
    back = raw.modality_values()
    assert np.max(np.abs(back - frame.astype(np.float64))) <= raw.quantisation_step / 2 + 1e-9 * abs(high)
    assert raw.to_array().min() == 0 and raw.to_array().max() == 65535  # the full 16 bits are used


def test_raw_slice_stores_nan_as_the_minimum_and_refuses_colour():
    raw = raw_slice_16bit(np.array([[np.nan, 1.5, 2.5]], dtype=np.float32))
    assert raw.modality_values()[0, 0] == pytest.approx(1.5)
    with pytest.raises(ValueError):
        raw_slice_16bit(np.zeros((4, 4, 3), dtype=np.uint8))
