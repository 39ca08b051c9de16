"""DICOM: validation, metadata, frames and preamble sanitising, on real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pydicom
import pytest

from apps.imaging.conversion.dicom import (
    dicom_frame_count,
    inspect_dicom,
    is_secondary_capture_uid,
    read_dicom_frame,
    sanitize_dicom_preamble,
)
from apps.imaging.conversion.sniff import sniff
from apps.imaging.conversion.types import ImageKind, IngestLimits, RejectedFile

from .helpers import MULTIFRAME, T1_SERIES, need, pydicom_file, raw_dataset_bytes, save_dataset

# --- real series and multi-frame files ------------------------------------------


@pytest.mark.shared_data
def test_every_slice_of_the_t1_mprage_series_inspects_as_one_256_by_256_series(limits):
    files = sorted(p for p in need(T1_SERIES).iterdir() if p.suffix == ".dcm")
    assert len(files) == 176
    infos = [inspect_dicom(p, p.name, limits) for p in files]
    assert {i.study_instance_uid for i in infos} == {infos[0].study_instance_uid}
    assert {i.series_instance_uid for i in infos} == {infos[0].series_instance_uid}
    assert len({i.sop_instance_uid for i in infos}) == 176
    assert {(i.rows, i.columns, i.frames) for i in infos} == {(256, 256, 1)}
    assert sorted(i.instance_number for i in infos) == list(range(1, 177))
    first = infos[0]
    assert first.modality == "MR"
    assert first.series_description == "t1_MPRAGEcr_noGRAPPA"
    assert first.pixel_spacing == (1.0, 1.0)
    assert first.image_orientation is not None and len(first.image_orientation) == 6
    assert first.image_position is not None
    assert first.acquisition_date == dt.date(2010, 7, 23)
    assert first.window_source == "dicom"
    assert first.sop_class_uid == "1.2.840.10008.5.1.4.1.1.4"


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "frames"),
    [
        ("REAL_head_pydicom-data_emri_small_10frames.dcm", 10),
        ("PHANTOM_siemens_xa10_enhanced_6_1_6frames.dcm", 6),
        ("PHANTOM_philips_enhanced_IM_0027_fMAP_64frames.dcm", 64),
    ],
)
def test_multi_frame_files_report_and_serve_every_frame(limits, name, frames):
    path = need(MULTIFRAME / name)
    info = inspect_dicom(path, name, limits)
    assert info.frames == frames
    assert info.shape == (frames, info.rows, info.columns)
    assert dicom_frame_count(path) == frames
    last = read_dicom_frame(path, frames - 1)
    assert last.shape == (info.rows, info.columns) and last.dtype == np.float32
    with pytest.raises(IndexError):
        read_dicom_frame(path, frames)


@pytest.mark.shared_data
def test_enhanced_mr_geometry_and_window_come_from_the_functional_groups(limits):
    path = need(MULTIFRAME / "PHANTOM_siemens_xa10_enhanced_6_1_6frames.dcm")
    ds = pydicom.dcmread(path)
    assert "PixelSpacing" not in ds and "WindowCenter" not in ds  # only inside the groups
    info = inspect_dicom(path, path.name, limits)
    assert info.pixel_spacing == (3.375, 3.375)
    assert info.slice_thickness == pytest.approx(2.4)
    assert info.image_orientation is not None
    frame0 = ds.PerFrameFunctionalGroupsSequence[0]
    position = frame0.PlanePositionSequence[0].ImagePositionPatient
    assert info.image_position == tuple(float(v) for v in position)
    assert (info.window_center, info.window_width, info.window_source) == (625.0, 1361.0, "dicom")


@pytest.mark.shared_data
def test_each_enhanced_frame_is_rescaled_with_its_own_per_frame_slope(limits):
    path = need(MULTIFRAME / "PHANTOM_philips_enhanced_IM_0027_fMAP_64frames.dcm")
    ds = pydicom.dcmread(path)
    stored = ds.pixel_array
    for index in (0, 63):
        transform = ds.PerFrameFunctionalGroupsSequence[index].PixelValueTransformationSequence[0]
        expected = stored[index] * float(transform.RescaleSlope) + float(transform.RescaleIntercept)
        np.testing.assert_allclose(read_dicom_frame(path, index), expected, rtol=1e-5)
    info = inspect_dicom(path, path.name, limits)
    assert info.rescale_slope == pytest.approx(1.27985347985347)


# --- pixel data and transfer syntaxes ---------------------------------------------

def test_ct_pixels_come_back_in_hounsfield_units_as_float32(limits):
    path = pydicom_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    frame = read_dicom_frame(path)
    assert frame.dtype == np.float32 and frame.shape == (128, 128)
    expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    np.testing.assert_allclose(frame, expected)
    info = inspect_dicom(path, "CT_small.dcm", limits)
    assert info.rescale_slope == float(ds.RescaleSlope)
    assert info.rescale_intercept == float(ds.RescaleIntercept)
    assert info.modality == "CT" and info.bits_allocated == 16 and info.bits_stored == 16
    assert info.transfer_syntax_uid == "1.2.840.10008.1.2.1"


@pytest.mark.parametrize(
    "compressed",
    ["MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm",
     "MR_small_bigendian.dcm", "MR_small_implicit.dcm"],
)
def test_lossless_compressed_and_other_encodings_decode_to_the_same_pixels(limits, compressed):
    reference = read_dicom_frame(pydicom_file("MR_small.dcm"))
    path = pydicom_file(compressed)
    info = inspect_dicom(path, compressed, limits)
    assert (info.rows, info.columns) == (64, 64)
    np.testing.assert_array_equal(read_dicom_frame(path), reference)


@pytest.mark.parametrize(
    ("name", "transfer_syntax"),
    [
        ("SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50"),  # JPEG baseline, YBR_FULL
        ("JPGExtended.dcm", "1.2.840.10008.1.2.4.51"),  # 12-bit JPEG
        ("SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.4.70"),  # JPEG lossless
        ("JPEGLSNearLossless_16.dcm", "1.2.840.10008.1.2.4.81"),
        ("JPEG2000.dcm", "1.2.840.10008.1.2.4.91"),
        ("SC_rgb_rle_2frame.dcm", "1.2.840.10008.1.2.5"),
        ("image_dfl.dcm", "1.2.840.10008.1.2.1.99"),  # deflated data set
    ],
)
def test_compressed_transfer_syntaxes_decode(limits, name, transfer_syntax):
    info = inspect_dicom(pydicom_file(name), name, limits)
    assert info.transfer_syntax_uid == transfer_syntax
    frame = read_dicom_frame(pydicom_file(name), info.frames - 1)
    assert frame.shape[:2] == (info.rows, info.columns)


def test_ybr_colour_comes_back_as_rgb_uint8(limits):
    path = pydicom_file("SC_rgb_dcmtk_+eb+cy+n1.dcm")  # red, green, blue ... bands, stored as YBR_FULL
    info = inspect_dicom(path, path.name, limits)
    assert info.samples_per_pixel == 3 and info.photometric_interpretation == "YBR_FULL"
    frame = read_dicom_frame(path)
    assert frame.dtype == np.uint8 and frame.shape == (100, 100, 3)
    red = frame[5, 50].astype(int)
    assert red[0] > 200 and red[1] < 30 and red[2] < 30


def test_sixteen_bit_rgb_is_scaled_to_uint8():
    frame = read_dicom_frame(pydicom_file("SC_rgb_rle_16bit.dcm"))
    assert frame.dtype == np.uint8 and frame.max() == 255


def test_palette_colour_is_expanded_through_its_lut(limits):
    path = pydicom_file("examples_palette.dcm")
    info = inspect_dicom(path, path.name, limits)
    assert info.photometric_interpretation == "PALETTE COLOR" and info.samples_per_pixel == 1
    frame = read_dicom_frame(path)
    assert frame.dtype == np.uint8 and frame.shape == (info.rows, info.columns, 3)


def test_monochrome1_is_reported_but_not_inverted(tmp_path, limits):
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME1"
    path = save_dataset(ds, tmp_path / "mono1.dcm")
    info = inspect_dicom(path, "mono1.dcm", limits)
    assert info.photometric_interpretation == "MONOCHROME1"
    expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    np.testing.assert_allclose(read_dicom_frame(path), expected)


def test_a_transfer_syntax_without_a_decoder_is_rejected_by_name(tmp_path, limits):
    ds = pydicom.dcmread(pydicom_file("JPEG2000.dcm"))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.92"  # JPEG 2000 Part 2 multi-component
    path = save_dataset(ds, tmp_path / "part2.dcm")
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(path, "part2.dcm", limits)
    assert caught.value.code == "unsupported_transfer_syntax"
    assert "1.2.840.10008.1.2.4.92" in caught.value.message
    assert "JPEG 2000 Part 2" in caught.value.message


def test_compressed_pixel_data_that_does_not_decode_is_rejected(limits):
    path = pydicom_file("JPEG2000-embedded-sequence-delimiter.dcm")
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(path, path.name, limits)
    assert caught.value.code == "corrupt_pixel_data"
    assert "JPEG 2000" in caught.value.message


# --- metadata ----------------------------------------------------------------------

def test_the_first_of_several_window_values_is_used(tmp_path, limits):
    ds = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    ds.WindowCenter = [100, 300]
    ds.WindowWidth = [50, 500]
    path = save_dataset(ds, tmp_path / "w.dcm")
    info = inspect_dicom(path, "w.dcm", limits)
    assert (info.window_center, info.window_width, info.window_source) == (100.0, 50.0, "dicom")


def test_without_window_tags_the_window_spans_the_central_99_percent_of_values(limits):
    path = pydicom_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    assert "WindowCenter" not in ds
    values = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    low, high = np.percentile(values, [0.5, 99.5])
    info = inspect_dicom(path, path.name, limits)
    assert info.window_source == "percentile"
    assert info.window_center == pytest.approx((low + high) / 2)
    assert info.window_width == pytest.approx(high - low)


def test_an_invalid_window_width_falls_back_to_percentiles_with_a_warning(tmp_path, limits):
    ds = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    ds.WindowWidth = 0
    path = save_dataset(ds, tmp_path / "w0.dcm")
    info = inspect_dicom(path, "w0.dcm", limits)
    assert info.window_source == "percentile" and info.window_width > 0
    assert any("window" in w for w in info.warnings)


@pytest.mark.parametrize(
    ("remove", "expected"),
    [((), dt.date(2001, 2, 3)), (("AcquisitionDate",), dt.date(2002, 3, 4)),
     (("AcquisitionDate", "SeriesDate"), dt.date(2003, 4, 5))],
)
def test_the_acquisition_date_falls_back_to_series_then_study_date(tmp_path, limits, remove, expected):
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.AcquisitionDate, ds.SeriesDate, ds.StudyDate = "20010203", "20020304", "20030405"
    for keyword in remove:
        delattr(ds, keyword)
    path = save_dataset(ds, tmp_path / "d.dcm")
    assert inspect_dicom(path, "d.dcm", limits).acquisition_date == expected


def test_identity_descriptions_and_review_flags_are_extracted(tmp_path, limits):
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.BurnedInAnnotation = "YES"
    ds.BodyPartExamined = "HEAD"
    ds.StudyDescription = "CT head"
    ds.SeriesDescription = "axial 5mm"
    ds.SeriesNumber = 7
    ds.InstanceNumber = 12
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    path = save_dataset(ds, tmp_path / "sc.dcm")
    info = inspect_dicom(path, "sc.dcm", limits)
    assert info.burned_in_annotation and info.is_secondary_capture
    assert info.body_part == "HEAD"
    assert (info.study_description, info.series_description) == ("CT head", "axial 5mm")
    assert (info.series_number, info.instance_number) == (7, 12)
    assert info.study_instance_uid == ds.StudyInstanceUID
    assert info.series_instance_uid == ds.SeriesInstanceUID
    assert info.sop_instance_uid == ds.SOPInstanceUID
    assert info.kind == ImageKind.DICOM


def test_secondary_capture_means_the_sc_classes_and_not_the_vl_classes():
    assert is_secondary_capture_uid("1.2.840.10008.5.1.4.1.1.7")
    assert is_secondary_capture_uid("1.2.840.10008.5.1.4.1.1.7.4")
    assert not is_secondary_capture_uid("1.2.840.10008.5.1.4.1.1.77.1.4")  # VL photographic
    assert not is_secondary_capture_uid("1.2.840.10008.5.1.4.1.1.2")


def test_an_empty_slice_thickness_is_none_not_an_error(tmp_path, limits):
    ds = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    ds.SliceThickness = ""
    path = save_dataset(ds, tmp_path / "st.dcm")
    assert inspect_dicom(path, "st.dcm", limits).slice_thickness is None


def test_a_raw_data_set_without_preamble_is_read_with_an_inferred_transfer_syntax(tmp_path, limits):
    path = tmp_path / "IM0001"
    path.write_bytes(raw_dataset_bytes(pydicom_file("CT_small.dcm")))
    info = inspect_dicom(path, "IM0001", limits)
    assert (info.rows, info.columns, info.transfer_syntax_uid) == (128, 128, "1.2.840.10008.1.2.1")
    np.testing.assert_array_equal(read_dicom_frame(path), read_dicom_frame(pydicom_file("CT_small.dcm")))


# --- bad input ---------------------------------------------------------------------

@pytest.mark.parametrize("keep", [0.999, 0.9, 0.5, 0.05, -1])
def test_a_dicom_file_cut_short_is_rejected_as_truncated(tmp_path, limits, keep):
    data = pydicom_file("CT_small.dcm").read_bytes()
    end = len(data) - 1 if keep == -1 else int(len(data) * keep)
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[:end])
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(path, "cut.dcm", limits)
    assert caught.value.code == "truncated_dicom"


@pytest.mark.shared_data
def test_every_cut_of_a_real_compressed_and_a_real_enhanced_file_is_rejected(tmp_path, limits):
    sources = [pydicom_file("JPEG2000.dcm"),
               need(MULTIFRAME / "PHANTOM_siemens_xa10_enhanced_6_1_6frames.dcm")]
    for source in sources:
        data = source.read_bytes()
        for end in range(140, len(data), max(1, len(data) // 60)):
            path = tmp_path / "cut.dcm"
            path.write_bytes(data[:end])
            with pytest.raises(RejectedFile) as caught:
                inspect_dicom(path, "cut.dcm", limits)
            assert caught.value.code in {"truncated_dicom", "no_pixel_data"}, (source.name, end)


def test_pydicoms_own_truncated_example_is_rejected(limits):
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(pydicom_file("MR_truncated.dcm"), "MR_truncated.dcm", limits)
    assert caught.value.code == "truncated_dicom"


@pytest.mark.parametrize(
    ("name", "sop_class"), [("rtplan.dcm", "RT Plan"), ("reportsi.dcm", "Basic Text SR")]
)
def test_a_dicom_without_pixel_data_is_rejected_naming_its_sop_class(limits, name, sop_class):
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(pydicom_file(name), name, limits)
    assert caught.value.code == "no_pixel_data"
    assert sop_class in caught.value.message


def test_declared_rows_and_columns_beyond_the_limits_are_rejected_before_decoding(tmp_path):
    ds = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    ds.Rows, ds.Columns = 30000, 30000  # the pixel data is still 64 x 64
    path = save_dataset(ds, tmp_path / "big.dcm")
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(path, "big.dcm", IngestLimits(max_pixels_per_frame=100_000_000))
    assert caught.value.code == "too_many_pixels"
    frames_limit = IngestLimits(max_voxels_per_file=1000)  # rtdose.dcm: 15 frames of 10 x 10
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(pydicom_file("rtdose.dcm"), "rtdose.dcm", frames_limit)
    assert caught.value.code == "too_many_pixels"


def test_a_text_file_named_dcm_is_not_dicom(tmp_path, limits):
    path = tmp_path / "scan.dcm"
    path.write_text("DICM " * 100)
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(path, "scan.dcm", limits)
    assert caught.value.code == "not_an_image"


def test_an_unexpected_parser_error_becomes_an_unreadable_rejection(monkeypatch, limits):
    import apps.imaging.conversion.dicom as dicom_module

    def explode(*args, **kwargs):
        raise KeyError("something deep inside a parser")

    monkeypatch.setattr(dicom_module, "_describe", explode)
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(pydicom_file("CT_small.dcm"), "CT_small.dcm", limits)
    assert caught.value.code == "unreadable"
    assert "could not be read" in caught.value.message


def test_a_decoder_crash_is_reported_as_corrupt_pixel_data(monkeypatch, limits):
    import apps.imaging.conversion.dicom as dicom_module

    def explode(*args, **kwargs):
        raise RuntimeError("decoder fell over")

    monkeypatch.setattr(dicom_module, "iter_pixels", explode)
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(pydicom_file("CT_small.dcm"), "CT_small.dcm", limits)
    assert caught.value.code == "corrupt_pixel_data"
    assert "decoder fell over" in caught.value.message


def test_a_native_decoder_panic_which_is_a_base_exception_is_still_a_rejection(monkeypatch, limits):
    import apps.imaging.conversion.dicom as dicom_module

    class PanicException(BaseException):  # what pyo3 raises when a Rust decoder panics
        pass

    def panic(*args, **kwargs):
        raise PanicException("index out of bounds")

    monkeypatch.setattr(dicom_module, "iter_pixels", panic)
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(pydicom_file("MR_small_RLE.dcm"), "MR_small_RLE.dcm", limits)
    assert caught.value.code == "corrupt_pixel_data"


def test_a_damaged_palette_is_caught_by_inspect_not_by_the_viewer(tmp_path, limits):
    ds = pydicom.dcmread(pydicom_file("examples_palette.dcm"))
    ds.RedPaletteColorLookupTableData = ds.RedPaletteColorLookupTableData[:10]
    path = save_dataset(ds, tmp_path / "palette.dcm")
    with pytest.raises(RejectedFile) as caught:
        inspect_dicom(path, "palette.dcm", limits)
    assert caught.value.code == "corrupt_pixel_data"


# --- the preamble --------------------------------------------------------------------

def _with_pe_header(source: Path, path: Path) -> Path:
    data = bytearray(source.read_bytes())
    stub = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"This program cannot be run in DOS mode."
    data[: len(stub)] = stub
    path.write_bytes(bytes(data))
    return path


def test_a_pe_executable_in_the_preamble_is_zeroed_and_the_data_kept(tmp_path, limits):
    source = pydicom_file("CT_small.dcm")
    polyglot = _with_pe_header(source, tmp_path / "polyglot.dcm")
    assert sniff(polyglot, "polyglot.dcm") == ImageKind.DICOM
    info = inspect_dicom(polyglot, "polyglot.dcm", limits)
    assert any("executable" in w for w in info.warnings)

    clean = tmp_path / "clean.dcm"
    assert sanitize_dicom_preamble(polyglot, clean) is True
    written = clean.read_bytes()
    assert written[:128] == b"\x00" * 128
    assert written[128:] == polyglot.read_bytes()[128:]
    np.testing.assert_array_equal(pydicom.dcmread(clean).pixel_array, pydicom.dcmread(source).pixel_array)
    assert not inspect_dicom(clean, "clean.dcm", limits).warnings


def test_a_zero_preamble_is_copied_unchanged(tmp_path):
    source = tmp_path / "zero.dcm"
    data = bytearray(pydicom_file("CT_small.dcm").read_bytes())
    data[:128] = bytes(128)
    source.write_bytes(bytes(data))
    copy = tmp_path / "copy.dcm"
    assert sanitize_dicom_preamble(source, copy) is False
    assert copy.read_bytes() == source.read_bytes()


def test_the_preamble_can_be_zeroed_in_place(tmp_path):
    polyglot = _with_pe_header(pydicom_file("CT_small.dcm"), tmp_path / "p.dcm")
    assert sanitize_dicom_preamble(polyglot, polyglot) is True
    assert polyglot.read_bytes()[:128] == bytes(128)
    assert sanitize_dicom_preamble(polyglot, polyglot) is False


def test_a_raw_data_set_has_no_preamble_to_sanitize(tmp_path):
    raw = tmp_path / "raw"
    raw.write_bytes(raw_dataset_bytes(pydicom_file("CT_small.dcm")))
    assert sanitize_dicom_preamble(raw, tmp_path / "out") is False
    assert (tmp_path / "out").read_bytes() == raw.read_bytes()


def test_sanitizing_refuses_a_file_that_is_not_dicom(tmp_path):
    text = tmp_path / "x.dcm"
    text.write_text("not dicom at all")
    with pytest.raises(RejectedFile):
        sanitize_dicom_preamble(text, tmp_path / "y.dcm")
