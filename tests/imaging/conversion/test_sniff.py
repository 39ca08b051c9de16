"""sniff() detects formats from content, never from the name."""

from __future__ import annotations

import gzip
import zipfile

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from apps.imaging.conversion.sniff import sniff
from apps.imaging.conversion.types import ContainerKind, ImageKind, RejectedFile

from .helpers import (
    NIFTI,
    T1_SERIES,
    brain_tumour_files_by_magic,
    need,
    png_declaring,
    pydicom_file,
    raw_dataset_bytes,
)


def test_a_dicom_file_named_like_a_png_is_still_dicom(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(pydicom_file("CT_small.dcm").read_bytes())
    assert sniff(path, "photo.png") == ImageKind.DICOM


def test_a_raw_dicom_data_set_without_preamble_is_recognised(tmp_path):
    path = tmp_path / "IM0001"
    path.write_bytes(raw_dataset_bytes(pydicom_file("CT_small.dcm")))
    assert sniff(path, "IM0001") == ImageKind.DICOM


@pytest.mark.parametrize("prefix", [b"", b"\x08\x00\x05\x00", b"\x08\x00\x16\x00UI", b"\x00\x08"])
def test_random_binary_is_never_taken_for_dicom(tmp_path, prefix):
    rng = np.random.default_rng(len(prefix))
    for attempt in range(20):
        path = tmp_path / f"noise{attempt}.dcm"
        path.write_bytes(prefix + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
        with pytest.raises(RejectedFile) as caught:
            sniff(path, path.name)
        assert caught.value.code == "not_an_image"


def test_an_empty_file_is_rejected_as_empty(tmp_path):
    path = tmp_path / "scan.dcm"
    path.write_bytes(b"")
    with pytest.raises(RejectedFile) as caught:
        sniff(path, "scan.dcm")
    assert caught.value.code == "empty_file"
    assert caught.value.filename == "scan.dcm"


def test_a_text_file_named_dcm_is_not_an_image(tmp_path):
    path = tmp_path / "scan.dcm"
    path.write_text("Patient: Doe^John\nThis is not an image.\n")
    with pytest.raises(RejectedFile) as caught:
        sniff(path, "scan.dcm")
    assert caught.value.code == "not_an_image"
    assert "text file" in caught.value.message


@pytest.mark.shared_data
def test_the_text_files_shipped_with_the_t1_series_are_not_images():
    for name in ("SOURCE_README.md", "notes.txt"):
        with pytest.raises(RejectedFile) as caught:
            sniff(need(T1_SERIES / name), name)
        assert caught.value.code == "not_an_image"


@pytest.mark.shared_data
def test_the_files_named_jpg_that_hold_png_are_detected_as_png():
    groups = brain_tumour_files_by_magic()
    assert groups["png"], "the dataset is documented to hold PNG files named .jpg"
    for path in groups["png"]:
        assert path.suffix == ".jpg"
        assert sniff(path, path.name) == ImageKind.PNG
    for path in groups["jpeg"][:20]:
        assert sniff(path, path.name) == ImageKind.JPEG


@pytest.mark.shared_data
def test_plain_and_gzipped_nifti_are_detected():
    assert sniff(need(NIFTI / "anatomical.nii"), "anatomical.nii") == ImageKind.NIFTI
    assert sniff(need(NIFTI / "example4d.nii.gz"), "brain.bin") == ImageKind.NIFTI


def test_nifti2_and_big_endian_nifti1_are_detected(tmp_path):
    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    n2 = tmp_path / "a"
    n2.write_bytes(nib.Nifti2Image(data, np.eye(4)).to_bytes())
    assert sniff(n2, "a") == ImageKind.NIFTI
    big = nib.Nifti1Image(data, np.eye(4))
    big.set_data_dtype(np.dtype(">i2"))
    header = big.header.as_byteswapped(">")
    be = tmp_path / "b"
    be.write_bytes(nib.Nifti1Image(data.astype(">i2"), np.eye(4), header=header).to_bytes())
    assert sniff(be, "b") == ImageKind.NIFTI


def test_a_nifti_header_of_an_hdr_img_pair_is_refused_with_a_reason(tmp_path):
    header = nib.Nifti1Header()
    header["magic"] = b"ni1"
    path = tmp_path / "brain.hdr"
    path.write_bytes(header.binaryblock)
    with pytest.raises(RejectedFile) as caught:
        sniff(path, "brain.hdr")
    assert ".img" in caught.value.message


def test_a_gzipped_dicom_is_refused_with_a_hint_to_decompress(tmp_path):
    path = tmp_path / "scan.dcm.gz"
    path.write_bytes(gzip.compress(pydicom_file("CT_small.dcm").read_bytes()))
    with pytest.raises(RejectedFile) as caught:
        sniff(path, "scan.dcm.gz")
    assert caught.value.code == "not_an_image"
    assert "decompress" in caught.value.message


def test_sniffing_a_gzip_bomb_reads_only_its_first_bytes(tmp_path):
    path = tmp_path / "bomb.nii.gz"
    with gzip.open(path, "wb") as gz:
        gz.write(b"\x00" * (64 * 1024 * 1024))
    with pytest.raises(RejectedFile) as caught:
        sniff(path, "bomb.nii.gz")
    assert caught.value.code == "not_an_image"


@pytest.mark.parametrize(
    ("pillow_format", "kind"),
    [("PNG", ImageKind.PNG), ("JPEG", ImageKind.JPEG), ("TIFF", ImageKind.TIFF), ("BMP", ImageKind.BMP)],
)
def test_raster_formats_are_detected_by_their_signature_whatever_the_name(tmp_path, pillow_format, kind):
    path = tmp_path / "image.dcm"
    Image.new("L", (8, 8), 100).save(path, format=pillow_format)
    assert sniff(path, "image.dcm") == kind


def test_a_png_declaring_a_huge_size_is_still_sniffed_as_png_without_decoding(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_declaring(100_000, 100_000))
    assert sniff(path, "huge.png") == ImageKind.PNG


def test_zip_archives_are_containers(tmp_path):
    path = tmp_path / "upload.dat"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "x")
    assert sniff(path, "upload.dat") == ContainerKind.ZIP
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    assert sniff(empty, "empty.zip") == ContainerKind.ZIP


def test_a_text_file_that_starts_with_bm_is_not_a_bitmap(tmp_path):
    path = tmp_path / "bm.bmp"
    path.write_text("BM is a band name, and this file is just text about them.")
    with pytest.raises(RejectedFile):
        sniff(path, "bm.bmp")
