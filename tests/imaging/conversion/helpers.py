"""Helpers for the conversion tests: where the shared data lives, real files to
copy and cut, and small builders for crafted (hostile) inputs.

Nothing here touches Django or the database; tests that read ../shared are
marked `shared_data` and skip (with the reason) where the folder is absent.
"""

from __future__ import annotations

import functools
import os
import struct
import zlib
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_root() -> Path:
    return Path(os.environ.get("RADCASE_SHARED_DIR", REPO_ROOT.parent / "shared"))


SHARED = shared_root()
SAMPLES = SHARED / "samples"
T1_SERIES = SAMPLES / "dicom" / "brain_t1_mprage_series_trio_b17"
MULTIFRAME = SAMPLES / "dicom" / "multiframe"
NIFTI = SAMPLES / "nifti"
BRAIN_TUMOUR = SHARED / "datasets" / "brain-tumor-mri"


def pydicom_file(name: str) -> Path:
    """A file shipped in the pydicom wheel."""
    return Path(get_testdata_file(name))


def need(path: Path) -> Path:
    """Skip (with the path) when a shared file is missing even though ../shared exists."""
    if not path.exists():
        pytest.skip(f"needs {path} (shared data)")
    return path


@functools.lru_cache(maxsize=1)
def brain_tumour_files_by_magic() -> dict[str, list[Path]]:
    """The dataset's .jpg files grouped by what their first bytes say they are."""
    groups: dict[str, list[Path]] = {"png": [], "jpeg": [], "other": []}
    for path in sorted(BRAIN_TUMOUR.rglob("*.jpg")):
        with path.open("rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            groups["png"].append(path)
        elif head.startswith(b"\xff\xd8\xff"):
            groups["jpeg"].append(path)
        else:
            groups["other"].append(path)
    return groups


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR declares width x height (8-bit grey) with almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def save_dataset(ds: pydicom.Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


def raw_dataset_bytes(path: Path) -> bytes:
    """A Part-10 file's data set without preamble, "DICM" and file meta: a raw DICOM."""
    data = Path(path).read_bytes()
    assert data[128:132] == b"DICM" and data[132:136] == b"\x02\x00\x00\x00"
    (meta_length,) = struct.unpack("<I", data[140:144])  # (0002,0000) UL, explicit VR LE
    raw = data[144 + meta_length:]
    assert raw[:2] == b"\x08\x00"
    return raw
