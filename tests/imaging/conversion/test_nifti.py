"""NIfTI: shapes, orientation, radiological slices, and hostile headers."""

from __future__ import annotations

import gzip
import itertools
import time

import nibabel as nib
import numpy as np
import pytest

from apps.imaging.conversion.nifti import (
    inspect_nifti,
    nifti_frame_count,
    open_capped_gzip,
    read_nifti_frame,
)
from apps.imaging.conversion.types import Axis, IngestLimits, RejectedFile

from .helpers import NIFTI, need

# --- real files ----------------------------------------------------------------------


@pytest.mark.shared_data
def test_a_real_4d_volume_reports_its_shape_time_points_and_orientation(limits):
    path = need(NIFTI / "example4d.nii.gz")
    info = inspect_nifti(path, "example4d.nii.gz", limits)
    assert info.shape == (128, 96, 24, 2)
    assert info.volumes == 2
    assert info.orientation_codes == "LAS"
    assert (info.columns, info.rows, info.frames) == (128, 96, 24)  # axial slices, as displayed
    assert info.pixel_spacing == pytest.approx((2.0, 2.0))
    assert info.slice_thickness == pytest.approx(2.2, abs=1e-5)
    first, second = read_nifti_frame(path, 10, volume=0), read_nifti_frame(path, 10, volume=1)
    assert first.shape == (96, 128) and first.dtype == np.float32
    assert not np.array_equal(first, second)
    with pytest.raises(IndexError):
        read_nifti_frame(path, 0, volume=2)


@pytest.mark.shared_data
def test_the_mni_template_is_a_3d_ras_volume(limits):
    path = need(NIFTI / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    info = inspect_nifti(path, path.name, limits)
    assert info.shape == (197, 233, 189) and info.volumes == 1
    assert info.orientation_codes == "RAS"
    assert nifti_frame_count(path, Axis.AXIAL) == 189
    assert nifti_frame_count(path, Axis.CORONAL) == 233
    assert nifti_frame_count(path, Axis.SAGITTAL) == 197
    assert read_nifti_frame(path, 100, Axis.SAGITTAL).shape == (189, 233)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "shape"), [("anatomical.nii", (33, 41, 25)), ("functional.nii", (17, 21, 3, 20))]
)
def test_the_small_nibabel_volumes_inspect(limits, name, shape):
    info = inspect_nifti(need(NIFTI / name), name, limits)
    assert info.shape == shape
    assert info.volumes == (shape[3] if len(shape) == 4 else 1)
    assert info.window_source == "percentile" and info.window_width > 0


@pytest.mark.shared_data
def test_the_real_axial_slice_matches_nibabels_canonical_orientation():
    path = need(NIFTI / "example4d.nii.gz")
    canonical = nib.as_closest_canonical(nib.load(path)).get_fdata()
    expected = canonical[:, :, 12, 1][::-1, ::-1].T
    np.testing.assert_allclose(read_nifti_frame(path, 12, Axis.AXIAL, volume=1), expected, rtol=1e-6)


# --- orientation, with a volume whose affine is known -------------------------------

def _marker_volume(tmp_path, affine, marker_index, name="marker.nii"):
    data = np.zeros((4, 5, 6), dtype=np.int16)
    data[marker_index] = 1000
    path = tmp_path / name
    nib.save(nib.Nifti1Image(data, affine), path)
    return path


def test_a_right_anterior_superior_marker_is_top_left_in_every_plane(tmp_path):
    # RAS+ affine: the last index on every axis is the right-anterior-superior corner
    path = _marker_volume(tmp_path, np.diag([2.0, 2.0, 2.0, 1.0]), (3, 4, 5))
    axial = read_nifti_frame(path, 5, Axis.AXIAL)  # most superior slice
    assert axial.shape == (5, 4)  # rows: anterior to posterior; columns: right to left
    assert axial[0, 0] == 1000 and axial.sum() == 1000
    coronal = read_nifti_frame(path, 4, Axis.CORONAL)  # most anterior slice
    assert coronal.shape == (6, 4) and coronal[0, 0] == 1000
    sagittal = read_nifti_frame(path, 3, Axis.SAGITTAL)  # right-most slice
    assert sagittal.shape == (6, 5) and sagittal[0, 0] == 1000


def test_a_left_posterior_inferior_marker_is_bottom_right_in_every_plane(tmp_path):
    path = _marker_volume(tmp_path, np.eye(4), (0, 0, 0))
    assert read_nifti_frame(path, 0, Axis.AXIAL)[-1, -1] == 1000
    assert read_nifti_frame(path, 0, Axis.CORONAL)[-1, -1] == 1000
    assert read_nifti_frame(path, 0, Axis.SAGITTAL)[-1, -1] == 1000


def test_a_volume_stored_lps_is_reoriented_before_slicing(tmp_path):
    # x grows to the patient's left, y posterior (DICOM-like): index (0, 0, last) is right-anterior-superior
    path = _marker_volume(tmp_path, np.diag([-1.0, -1.0, 1.0, 1.0]), (0, 0, 5))
    info = inspect_nifti(path, "lps.nii", IngestLimits())
    assert info.orientation_codes == "LPS"
    assert read_nifti_frame(path, 5, Axis.AXIAL)[0, 0] == 1000


def test_a_volume_stored_sagittally_slices_axially_like_the_canonical_volume(tmp_path):
    # stored axes: (anterior, superior, right) -> ASR, common for sagittal acquisitions
    affine = np.array([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float)
    path = _marker_volume(tmp_path, affine, (3, 4, 5))  # most anterior, superior and right
    info = inspect_nifti(path, "asr.nii", IngestLimits())
    assert info.orientation_codes == "ASR"
    assert info.frames == 5 and (info.rows, info.columns) == (4, 6)  # axial slice: A rows x R columns
    assert read_nifti_frame(path, 4, Axis.AXIAL)[0, 0] == 1000


def test_every_axis_permutation_and_flip_matches_nibabels_closest_canonical(tmp_path):
    rng = np.random.default_rng(7)
    data = rng.integers(-500, 500, (3, 4, 5, 2)).astype(np.int16)
    for number, (perm, flips) in enumerate(itertools.product(itertools.permutations(range(3)),
                                                             itertools.product((1, -1), repeat=3))):
        affine = np.eye(4)
        affine[:3, :3] = 0
        for stored_axis, (world_axis, flip) in enumerate(zip(perm, flips, strict=True)):
            affine[world_axis, stored_axis] = flip * (stored_axis + 1.5)
        image = nib.Nifti1Image(data, affine)
        path = tmp_path / f"v{number}"  # every other one gzipped: both read paths are checked
        path.write_bytes(gzip.compress(image.to_bytes()) if number % 2 else image.to_bytes())
        canonical = nib.as_closest_canonical(image).get_fdata()
        for axis, k in ((Axis.SAGITTAL, 0), (Axis.CORONAL, 1), (Axis.AXIAL, 2)):
            index = canonical.shape[k] - 1
            expected = np.take(canonical[..., 1], index, axis=k)[::-1, ::-1].T
            np.testing.assert_array_equal(read_nifti_frame(path, index, axis, volume=1), expected)


def test_a_volume_rewritten_in_place_is_read_again_not_served_from_the_cache(tmp_path):
    path = tmp_path / "v.nii.gz"
    path.write_bytes(gzip.compress(nib.Nifti1Image(np.zeros((3, 4, 5), np.int16), np.eye(4)).to_bytes()))
    assert read_nifti_frame(path, 0).max() == 0
    path.write_bytes(gzip.compress(nib.Nifti1Image(np.full((3, 4, 6), 7, np.int16), np.eye(4)).to_bytes()))
    assert read_nifti_frame(path, 5).max() == 7


def test_scl_slope_and_inter_give_real_world_values(tmp_path):
    data = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    image = nib.Nifti1Image(data, np.eye(4))
    image.header.set_slope_inter(0.5, -10)
    path = tmp_path / "scaled.nii"
    nib.save(image, path)
    info = inspect_nifti(path, "scaled.nii", IngestLimits())
    assert (info.rescale_slope, info.rescale_intercept) == (0.5, -10.0)
    expected = (data[:, :, 2] * 0.5 - 10)[::-1, ::-1].T
    np.testing.assert_allclose(read_nifti_frame(path, 2), expected)


def test_nifti2_and_2d_images_are_read(tmp_path):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = tmp_path / "flat.nii"
    nib.save(nib.Nifti2Image(data, np.eye(4)), path)
    info = inspect_nifti(path, "flat.nii", IngestLimits())
    assert info.frames == 1 and (info.rows, info.columns) == (4, 3)
    assert read_nifti_frame(path, 0).shape == (4, 3)


def test_spacing_in_meters_is_reported_in_millimetres(tmp_path):
    image = nib.Nifti1Image(np.ones((2, 3, 4), dtype=np.uint8), np.diag([0.001, 0.002, 0.003, 1]))
    image.header.set_xyzt_units("meter")
    path = tmp_path / "m.nii"
    nib.save(image, path)
    info = inspect_nifti(path, "m.nii", IngestLimits())
    assert info.pixel_spacing == pytest.approx((2.0, 1.0))
    assert info.slice_thickness == pytest.approx(3.0)


# --- hostile and broken headers --------------------------------------------------------

def _tiny_image_claiming(shape) -> bytes:
    """A real 4x4x4 uint8 NIfTI whose header is then edited to declare `shape`."""
    image = nib.Nifti1Image(np.ones((4, 4, 4), dtype=np.uint8), np.eye(4))
    raw = bytearray(image.to_bytes())
    header = nib.Nifti1Header(binaryblock=bytes(raw[:348]))
    header.set_data_shape(shape)
    raw[:348] = header.binaryblock
    return bytes(raw)


def test_a_header_claiming_far_more_voxels_than_the_file_holds_is_rejected(tmp_path, limits):
    path = tmp_path / "liar.nii"
    path.write_bytes(_tiny_image_claiming((512, 512, 300)))
    with pytest.raises(RejectedFile) as caught:
        inspect_nifti(path, "liar.nii", limits)
    assert caught.value.code == "truncated_nifti"
    assert "512 x 512 x 300" in caught.value.message


def test_a_header_declaring_more_voxels_than_the_limits_is_rejected_before_reading(tmp_path):
    path = tmp_path / "huge.nii"
    path.write_bytes(_tiny_image_claiming((2000, 2000, 2000)))
    with pytest.raises(RejectedFile) as caught:
        inspect_nifti(path, "huge.nii", IngestLimits())
    assert caught.value.code == "too_many_pixels"


def test_a_small_gzip_that_inflates_past_the_limit_is_a_bomb(tmp_path):
    data = np.zeros((256, 256, 64), dtype=np.uint8)  # 4 MB of zeros
    path = tmp_path / "bomb.nii.gz"
    path.write_bytes(gzip.compress(nib.Nifti1Image(data, np.eye(4)).to_bytes()))
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(RejectedFile) as caught:
        inspect_nifti(path, "bomb.nii.gz", IngestLimits(max_decompressed_bytes=1024 * 1024))
    assert caught.value.code == "decompressed_too_large"
    inspect_nifti(path, "bomb.nii.gz", IngestLimits(max_decompressed_bytes=8 * 1024 * 1024))


def test_the_capped_gzip_reader_stops_at_its_cap_whatever_the_header_says(tmp_path):
    path = tmp_path / "zeros.gz"
    with gzip.open(path, "wb") as gz:
        gz.write(b"\x00" * (4 * 1024 * 1024))
    with open_capped_gzip(path, 4 * 1024 * 1024) as reader:
        assert len(reader.read()) == 4 * 1024 * 1024
    with open_capped_gzip(path, 1024 * 1024) as reader, pytest.raises(RejectedFile) as caught:
        while reader.read(64 * 1024):
            pass
    assert caught.value.code == "decompressed_too_large"
    assert reader.count <= 1024 * 1024 + 1


def test_trailing_garbage_after_the_voxels_is_never_inflated(tmp_path):
    image = nib.Nifti1Image(np.ones((8, 8, 8), dtype=np.int16), np.eye(4))
    path = tmp_path / "tail.nii.gz"
    with gzip.open(path, "wb", compresslevel=1) as gz:
        gz.write(image.to_bytes())
        gz.write(b"\x00" * (64 * 1024 * 1024))
    started = time.perf_counter()
    info = inspect_nifti(path, "tail.nii.gz", IngestLimits(max_decompressed_bytes=1024 * 1024))
    assert info.shape == (8, 8, 8)
    assert time.perf_counter() - started < 1.0


def test_a_gzip_cut_short_is_rejected_as_truncated(tmp_path, limits):
    image = nib.Nifti1Image(np.random.default_rng(1).normal(size=(32, 32, 32)).astype(np.float32), np.eye(4))
    compressed = gzip.compress(image.to_bytes())
    path = tmp_path / "cut.nii.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(RejectedFile) as caught:
        inspect_nifti(path, "cut.nii.gz", limits)
    assert caught.value.code == "truncated_nifti"


def test_rgb_and_five_dimensional_images_are_refused_with_a_reason(tmp_path, limits):
    rgb = np.zeros((2, 2, 2), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    path = tmp_path / "rgb.nii"
    nib.save(nib.Nifti1Image(rgb, np.eye(4)), path)
    with pytest.raises(RejectedFile) as caught:
        inspect_nifti(path, "rgb.nii", limits)
    assert caught.value.code == "unsupported_data_type"
    path5 = tmp_path / "five.nii"
    nib.save(nib.Nifti1Image(np.zeros((2, 2, 2, 2, 3), dtype=np.uint8), np.eye(4)), path5)
    with pytest.raises(RejectedFile) as caught:
        inspect_nifti(path5, "five.nii", limits)
    assert caught.value.code == "unsupported_dimensions"


def test_nan_voxels_are_counted_in_a_warning_and_ignored_by_the_window(tmp_path, limits):
    data = np.arange(64, dtype=np.float32).reshape(4, 4, 4)
    data[0, 0, :] = np.nan
    path = tmp_path / "nan.nii"
    nib.save(nib.Nifti1Image(data, np.eye(4)), path)
    info = inspect_nifti(path, "nan.nii", limits)
    assert any("4 voxels are NaN" in w for w in info.warnings)
    assert np.isfinite(info.window_center) and info.window_width > 0


def test_minor_header_faults_are_corrected_and_reported(tmp_path, limits):
    raw = bytearray(nib.Nifti1Image(np.ones((2, 3, 4), np.int16), np.eye(4)).to_bytes())
    header = nib.Nifti1Header(binaryblock=bytes(raw[:348]), check=False)
    header["sform_code"] = 62  # not a valid code
    raw[:348] = header.binaryblock
    path = tmp_path / "odd.nii"
    path.write_bytes(bytes(raw))
    info = inspect_nifti(path, "odd.nii", limits)
    assert any("sform_code" in w for w in info.warnings)


def test_a_slice_out_of_range_is_an_index_error(tmp_path):
    path = _marker_volume(tmp_path, np.eye(4), (0, 0, 0))
    with pytest.raises(IndexError):
        read_nifti_frame(path, 6, Axis.AXIAL)
    with pytest.raises(IndexError):
        read_nifti_frame(path, 4, Axis.SAGITTAL)
