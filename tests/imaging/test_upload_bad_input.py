"""Every refused upload is a 4xx naming the file and the problem, and leaves
no row and no file behind."""

import gzip
import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pydicom.data import get_testdata_file

from apps.imaging.models import ImageInstance, Series, Study
from tests.imaging.conftest import stored_files, upload
from tests.support.factories import png_bytes

pytestmark = pytest.mark.django_db

CT = Path(get_testdata_file("CT_small.dcm"))


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _refused(response, status: int, name: str, code: str | None = None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert name in error["message"]
    if code is not None:
        assert code in [f["code"] for f in error["details"]["files"]]
    assert ImageInstance.objects.count() == 0
    assert Series.objects.count() == 0 and Study.objects.count() == 0
    assert stored_files() == []
    return error


def _png_with_ihdr(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height but holds a tiny payload."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _nifti_header(shape: tuple[int, ...]) -> bytes:
    import nibabel as nib

    img = nib.Nifti1Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    header = img.header.copy()
    header.set_data_shape(shape)
    header["vox_offset"] = 352
    return header.binaryblock + b"\x00" * 4 + b"\x00" * 16  # vox_offset 352, a few voxels


def test_an_empty_file_is_refused(case, referring_doctor, client_for):
    response = upload(client_for(referring_doctor), case, [_file("empty.dcm", b"")])
    _refused(response, 400, "empty.dcm", "empty_file")


def test_a_truncated_dicom_is_refused(case, referring_doctor, client_for):
    data = CT.read_bytes()
    response = upload(client_for(referring_doctor), case,
                      [_file("cut.dcm", data[: len(data) // 2])])
    _refused(response, 400, "cut.dcm", "truncated_dicom")


def test_a_text_file_named_dcm_is_refused(case, referring_doctor, client_for):
    response = upload(client_for(referring_doctor), case,
                      [_file("report.dcm", b"Patient seen today, MRI looks fine.\n" * 20)])
    _refused(response, 400, "report.dcm", "not_an_image")


def test_a_dicom_without_pixel_data_is_refused(case, referring_doctor, client_for):
    response = upload(client_for(referring_doctor), case,
                      [Path(get_testdata_file("rtplan.dcm"))])
    _refused(response, 400, "rtplan.dcm", "no_pixel_data")


def test_one_bad_file_refuses_the_whole_upload(case, referring_doctor, client_for):
    response = upload(client_for(referring_doctor), case,
                      [CT, _file("good.png", png_bytes()), _file("empty.dcm", b"")])
    _refused(response, 400, "empty.dcm")


def test_a_dicom_with_an_executable_in_its_preamble_is_kept_with_the_preamble_zeroed(
        case, referring_doctor, client_for, tmp_path):
    data = bytearray(CT.read_bytes())
    data[:2] = b"MZ"
    data[2:64] = b"\x90" * 62
    response = upload(client_for(referring_doctor), case, [_file("poly.dcm", bytes(data))],
                      deidentify="false")
    assert response.status_code == 201, response.json()
    stored = stored_files()
    assert len(stored) == 1
    assert stored[0].read_bytes()[:128] == b"\x00" * 128
    original = pydicom.dcmread(CT)
    kept = pydicom.dcmread(stored[0])
    assert np.array_equal(kept.pixel_array, original.pixel_array)


def test_a_png_declaring_a_gigantic_size_is_refused_before_decoding(case, referring_doctor,
                                                                    client_for):
    response = upload(client_for(referring_doctor), case,
                      [_file("bomb.png", _png_with_ihdr(200_000, 200_000))])
    _refused(response, 400, "bomb.png", "too_many_pixels")


def test_a_nifti_claiming_more_voxels_than_it_holds_is_refused(case, referring_doctor,
                                                               client_for):
    response = upload(client_for(referring_doctor), case,
                      [_file("liar.nii", _nifti_header((512, 512, 400)))])
    error = _refused(response, 400, "liar.nii")
    assert error["details"]["files"][0]["code"] in {"truncated_nifti", "too_many_voxels"}


def test_a_nifti_gz_that_inflates_past_the_cap_is_refused(case, referring_doctor, client_for,
                                                          settings):
    import nibabel as nib

    settings.RADCASE_MAX_DECOMPRESSED_MB = 1
    volume = nib.Nifti1Image(np.zeros((128, 128, 64), dtype=np.float32), np.eye(4))
    raw = volume.header.binaryblock + b"\x00" * 4 + volume.get_fdata(dtype=np.float32).tobytes()
    bomb = gzip.compress(raw)  # 4 MB of zeros in a few kB
    assert len(bomb) < 100_000
    response = upload(client_for(referring_doctor), case, [_file("bomb.nii.gz", bomb)])
    _refused(response, 400, "bomb.nii.gz")


def _zip_with(entries) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return SimpleUploadedFile("upload.zip", buffer.getvalue(), "application/zip")


@pytest.mark.parametrize("member", ["../../etc/evil.dcm", "/abs/evil.dcm", "C:/evil.dcm"])
def test_zip_members_escaping_the_folder_are_refused(case, referring_doctor, client_for, member):
    archive = _zip_with([(member, CT.read_bytes())])
    response = upload(client_for(referring_doctor), case, [archive])
    _refused(response, 400, "upload.zip", "unsafe_archive_member")


def test_zip_members_that_are_symlinks_are_refused(case, referring_doctor, client_for):
    link = zipfile.ZipInfo("link.dcm")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip_with([(link, "/etc/passwd"), ("ok.dcm", CT.read_bytes())])
    response = upload(client_for(referring_doctor), case, [archive])
    _refused(response, 400, "upload.zip", "unsafe_archive_member")


def test_a_file_over_the_upload_limit_is_refused_with_413(case, referring_doctor, client_for,
                                                          settings):
    settings.RADCASE_MAX_UPLOAD_MB = 1
    response = upload(client_for(referring_doctor), case,
                      [_file("big.dcm", b"\x00" * (2 * 1024 * 1024))])
    assert response.status_code == 413
    assert "1 MB" in response.json()["error"]["message"]
    assert ImageInstance.objects.count() == 0 and stored_files() == []


def test_too_many_files_in_one_request_are_refused(case, referring_doctor, client_for,
                                                   settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [_file(f"s{i}.png", png_bytes(seed=i)) for i in range(4)]
    response = upload(client_for(referring_doctor), case, files)
    assert response.status_code == 400
    assert "Too many files" in response.json()["error"]["message"]
    assert ImageInstance.objects.count() == 0 and stored_files() == []


def test_a_request_without_files_says_how_to_send_them(case, referring_doctor, client_for):
    response = client_for(referring_doctor).post(f"/api/cases/{case.pk}/images/", {},
                                                 format="multipart")
    assert response.status_code == 400
    assert "files" in response.json()["error"]["message"]


@pytest.mark.parametrize("seed", range(8))
def test_garbage_after_a_dicom_magic_never_becomes_a_500(case, referring_doctor, client_for,
                                                         seed):
    rng = np.random.default_rng(seed)
    data = b"\x00" * 128 + b"DICM" + rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    response = upload(client_for(referring_doctor), case, [_file(f"fuzz{seed}.dcm", data)])
    _refused(response, 400, f"fuzz{seed}.dcm")
