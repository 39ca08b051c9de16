"""De-identification of the non-DICOM formats: NIfTI header text and
extensions, raster metadata (EXIF, XMP, comments, PNG text chunks, TIFF tags).
The pixels must come out exactly as they went in."""

from __future__ import annotations

import gzip
import io

import nibabel as nib
import numpy as np
import pytest
from PIL import Image, PngImagePlugin, TiffImagePlugin

from apps.imaging.conversion.nifti import deidentify_nifti
from apps.imaging.conversion.raster import strip_raster_metadata
from apps.imaging.conversion.types import ImageKind, RejectedFile

NAME = b"Doe^Jane MRN-4711"


def _nifti_with_identity(path, *, gz: bool = False):
    data = np.arange(6 * 7 * 5, dtype=np.int16).reshape(6, 7, 5)
    image = nib.Nifti1Image(data, np.diag([1.0, 1.0, 2.0, 1.0]))
    image.header["descrip"] = NAME
    image.header["aux_file"] = b"Doe^Jane"
    image.header["db_name"] = b"MRN-4711"
    image.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"PatientName=" + NAME))
    target = path / ("named.nii.gz" if gz else "named.nii")
    nib.save(image, target)
    return target, data


@pytest.mark.parametrize("gz", [False, True], ids=["nii", "nii.gz"])
def test_nifti_header_text_and_extensions_are_removed_and_voxels_kept(tmp_path, gz):
    source, data = _nifti_with_identity(tmp_path, gz=gz)
    assert len(nib.load(source).header.extensions) == 1
    target = tmp_path / "clean"

    method = deidentify_nifti(source, target)

    raw = target.read_bytes()
    plain = gzip.decompress(raw) if gz else raw
    assert (raw[:2] == b"\x1f\x8b") == gz  # a gzipped file stays gzipped, a plain one plain
    assert b"Doe" not in plain and b"4711" not in plain
    cleaned = nib.Nifti1Image.from_bytes(plain)
    assert cleaned.header["descrip"].item() == b""
    assert len(cleaned.header.extensions) == 0
    np.testing.assert_array_equal(np.asarray(cleaned.dataobj), data)
    np.testing.assert_array_equal(cleaned.affine, nib.load(source).affine)
    assert "extensions removed" in method


def test_a_nifti_whose_voxels_start_inside_the_header_is_refused(tmp_path):
    source, _ = _nifti_with_identity(tmp_path)
    raw = bytearray(source.read_bytes())
    raw[108:112] = np.float32(100).tobytes()  # vox_offset (little-endian file)
    source.write_bytes(bytes(raw))
    with pytest.raises(RejectedFile):
        deidentify_nifti(source, tmp_path / "clean.nii")


def _jpeg_with_identity(path):
    pixels = (np.indices((48, 64)).sum(0) * 2 % 256).astype(np.uint8)
    exif = Image.Exif()
    exif[0x013B] = "Doe^Jane"  # Artist
    exif[0x010E] = "MRN-4711"  # ImageDescription
    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, "JPEG", exif=exif, comment=NAME, quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def test_jpeg_exif_and_comments_are_removed_without_re_encoding(tmp_path):
    source = _jpeg_with_identity(tmp_path / "named.jpg")
    assert b"Doe" in source.read_bytes()
    target = tmp_path / "clean.jpg"

    strip_raster_metadata(source, target, ImageKind.JPEG)

    raw = target.read_bytes()
    assert b"Doe" not in raw and b"4711" not in raw
    # Lossless: the scan data is byte-identical, so the decoded pixels are too.
    scan = source.read_bytes().index(b"\xff\xda")
    assert raw.endswith(source.read_bytes()[scan:])
    with Image.open(source) as a, Image.open(target) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))
        assert not b.getexif() and "comment" not in b.info


def test_a_jpeg_cut_before_its_image_data_is_refused(tmp_path):
    source = _jpeg_with_identity(tmp_path / "named.jpg")
    raw = source.read_bytes()
    source.write_bytes(raw[: raw.index(b"\xff\xda")])
    with pytest.raises(RejectedFile) as error:
        strip_raster_metadata(source, tmp_path / "clean.jpg", ImageKind.JPEG)
    assert error.value.code == "truncated_image"


@pytest.mark.parametrize("mode", ["L", "I;16", "RGB", "P"])
def test_png_text_chunks_and_exif_are_removed_and_pixels_kept(tmp_path, mode):
    pixels = Image.fromarray((np.indices((32, 40)).sum(0) * 3 % 200).astype(np.uint8), "L")
    image = pixels.convert(mode) if mode != "I;16" else Image.fromarray(
        np.asarray(pixels).astype(np.uint16) * 300)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Doe^Jane")
    info.add_itxt("Comment", "MRN-4711 " + NAME.decode())
    exif = Image.Exif()
    exif[0x013B] = "Doe^Jane"
    source, target = tmp_path / "named.png", tmp_path / "clean.png"
    image.save(source, "PNG", pnginfo=info, exif=exif)
    assert b"Doe" in source.read_bytes()

    strip_raster_metadata(source, target, ImageKind.PNG)

    assert b"Doe" not in target.read_bytes() and b"4711" not in target.read_bytes()
    with Image.open(source) as a, Image.open(target) as b:
        assert a.mode == b.mode
        assert np.array_equal(np.asarray(a), np.asarray(b))
        if mode == "P":
            assert a.getpalette() == b.getpalette()


def test_tiff_tags_naming_the_patient_are_removed_and_pixels_kept(tmp_path):
    pixels = (np.indices((30, 20)).sum(0) * 500).astype(np.uint16)
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[270] = "MRN-4711 Doe^Jane"  # ImageDescription
    tags[315] = "Doe^Jane"  # Artist
    source, target = tmp_path / "named.tif", tmp_path / "clean.tif"
    Image.fromarray(pixels).save(source, "TIFF", tiffinfo=tags)
    assert b"Doe" in source.read_bytes()

    strip_raster_metadata(source, target, ImageKind.TIFF)

    assert b"Doe" not in target.read_bytes()
    with Image.open(target) as b:
        assert np.array_equal(np.asarray(b), pixels)
