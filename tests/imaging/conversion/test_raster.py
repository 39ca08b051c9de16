"""PNG/JPEG/TIFF/BMP: every Pillow mode, the real dataset, and decompression bombs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from apps.imaging.conversion.raster import inspect_raster, read_raster_frame
from apps.imaging.conversion.types import ImageKind, IngestLimits, RejectedFile

from .helpers import brain_tumour_files_by_magic, png_declaring


def _save(tmp_path, image: Image.Image, name: str, fmt: str = "PNG"):
    path = tmp_path / name
    image.save(path, format=fmt)
    return path


def _gradient(mode_size=(40, 30)) -> np.ndarray:
    width, height = mode_size
    return (np.arange(width * height) % 256).reshape(height, width).astype(np.uint8)


@pytest.mark.parametrize(
    ("mode", "grey"),
    [("L", True), ("1", True), ("LA", True), ("P", False), ("RGB", False), ("RGBA", False)],
)
def test_eight_bit_modes_are_grey_or_rgb_by_their_content(tmp_path, limits, mode, grey):
    rgb = np.stack([_gradient(), _gradient()[::-1], np.full((30, 40), 90, np.uint8)], axis=2)
    base = Image.fromarray(rgb, "RGB") if not grey else Image.fromarray(_gradient(), "L")
    image = base.convert(mode)
    path = _save(tmp_path, image, f"{mode}.png")
    info = inspect_raster(path, path.name, limits)
    frame = read_raster_frame(path)
    assert (info.rows, info.columns, info.frames, info.modality) == (30, 40, 1, "OT")
    if grey:
        assert (info.samples_per_pixel, info.photometric_interpretation) == (1, "MONOCHROME2")
        assert frame.dtype == np.float32 and frame.shape == (30, 40)
    else:
        assert (info.samples_per_pixel, info.photometric_interpretation) == (3, "RGB")
        assert frame.dtype == np.uint8 and frame.shape == (30, 40, 3)
    assert info.bits_allocated == 8 and info.window_source == "full_range"


def test_an_rgb_image_whose_channels_are_equal_is_grey(tmp_path, limits):
    grey = _gradient()
    path = _save(tmp_path, Image.fromarray(np.stack([grey] * 3, axis=2), "RGB"), "grey_rgb.png")
    info = inspect_raster(path, path.name, limits)
    assert (info.samples_per_pixel, info.photometric_interpretation) == (1, "MONOCHROME2")
    np.testing.assert_array_equal(read_raster_frame(path), grey.astype(np.float32))


def test_sixteen_bit_grey_keeps_its_values_and_gets_a_percentile_window(tmp_path, limits):
    values = (np.arange(64 * 64, dtype=np.uint16) * 15).reshape(64, 64)
    path = _save(tmp_path, Image.fromarray(values), "deep.png")
    info = inspect_raster(path, path.name, limits)
    assert info.bits_allocated == 16 and info.window_source == "percentile"
    low, high = np.percentile(values, [0.5, 99.5])
    assert info.window_center == pytest.approx((low + high) / 2)
    np.testing.assert_array_equal(read_raster_frame(path), values.astype(np.float32))


def test_transparent_pixels_are_composited_onto_black(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:2, :, 3] = 255  # top half opaque red, bottom half fully transparent red
    frame = read_raster_frame(_save(tmp_path, Image.fromarray(rgba, "RGBA"), "a.png"))
    assert tuple(frame[0, 0]) == (255, 0, 0) and tuple(frame[3, 0]) == (0, 0, 0)


@pytest.mark.parametrize(("fmt", "kind"), [("TIFF", ImageKind.TIFF), ("BMP", ImageKind.BMP),
                                           ("JPEG", ImageKind.JPEG)])
def test_tiff_bmp_and_jpeg_are_identified_by_pillow(tmp_path, limits, fmt, kind):
    path = _save(tmp_path, Image.fromarray(_gradient(), "L"), "x.img", fmt)
    assert inspect_raster(path, "x.img", limits).kind == kind


def test_only_the_first_page_of_a_multi_page_tiff_is_used_and_it_says_so(tmp_path, limits):
    pages = [Image.fromarray(np.full((8, 8), v, np.uint8), "L") for v in (10, 20, 30)]
    path = tmp_path / "pages.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    info = inspect_raster(path, path.name, limits)
    assert info.frames == 1 and any("3 frames" in w for w in info.warnings)
    assert read_raster_frame(path)[0, 0] == 10


@pytest.mark.shared_data
def test_the_dataset_files_named_jpg_that_are_png_inspect_as_png(limits):
    pngs = brain_tumour_files_by_magic()["png"]
    assert pngs
    modes = set()
    for path in pngs:
        info = inspect_raster(path, path.name, limits)
        assert info.kind == ImageKind.PNG
        with Image.open(path) as image:
            modes.add(image.mode)
            assert (info.columns, info.rows) == image.size
        assert read_raster_frame(path).shape[:2] == (info.rows, info.columns)
    assert {"RGBA", "P"} & modes  # the dataset's unusual modes are among them


@pytest.mark.shared_data
def test_dataset_jpegs_stored_as_rgb_but_grey_count_as_grey(limits):
    grey_rgb = colour = 0
    for path in brain_tumour_files_by_magic()["jpeg"][:150]:
        info = inspect_raster(path, path.name, limits)
        assert info.kind == ImageKind.JPEG and info.rows > 0
        with Image.open(path) as image:
            if image.mode == "RGB":
                grey_rgb += info.samples_per_pixel == 1
                colour += info.samples_per_pixel == 3
    assert grey_rgb > 0, "most RGB files in this dataset are grey in every channel"
    assert grey_rgb > colour


# --- bad input -------------------------------------------------------------------------

def test_a_png_declaring_100k_by_100k_is_rejected_before_decoding(tmp_path, limits):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(100_000, 100_000))
    started = time.perf_counter()
    with pytest.raises(RejectedFile) as caught:
        inspect_raster(path, "bomb.png", limits)
    assert caught.value.code == "too_many_pixels"
    assert time.perf_counter() - started < 0.5


def test_pillows_own_bomb_guard_is_reported_as_too_many_pixels_even_with_generous_limits(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(100_000, 100_000))
    generous = IngestLimits(max_pixels_per_frame=10**12, max_voxels_per_file=10**12)
    with pytest.raises(RejectedFile) as caught:
        inspect_raster(path, "bomb.png", generous)
    assert caught.value.code == "too_many_pixels"


def test_a_size_just_over_a_small_limit_is_rejected(tmp_path):
    path = _save(tmp_path, Image.fromarray(_gradient((101, 100)), "L"), "x.png")
    with pytest.raises(RejectedFile) as caught:
        inspect_raster(path, "x.png", IngestLimits(max_pixels_per_frame=100 * 100))
    assert caught.value.code == "too_many_pixels"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "BMP"])
def test_an_image_cut_short_is_rejected_as_truncated(tmp_path, limits, fmt):
    noise = np.random.default_rng(3).integers(0, 256, (200, 200), dtype=np.uint8)
    path = _save(tmp_path, Image.fromarray(noise, "L"), "full", fmt)
    data = path.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(RejectedFile) as caught:
        inspect_raster(cut, "cut", limits)
    assert caught.value.code == "truncated_image"


def test_a_text_file_is_not_a_raster_image(tmp_path, limits):
    path = tmp_path / "x.png"
    path.write_text("hello")
    with pytest.raises(RejectedFile) as caught:
        inspect_raster(path, "x.png", limits)
    assert caught.value.code == "not_an_image"
