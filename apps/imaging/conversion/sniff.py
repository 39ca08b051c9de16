"""Format detection from a file's CONTENT; the name is used only in messages.

Public:

    sniff(path: Path, original_name: str) -> ImageKind | ContainerKind

Rules, in order (the first that matches wins):

- 0 bytes: RejectedFile(code="empty_file").
- "DICM" at offset 128: DICOM Part 10 (whatever the 128-byte preamble holds;
  `dicom.sanitize_dicom_preamble` zeroes a non-zero one before storage).
- NIfTI-1 single file (sizeof_hdr 348, magic "n+1\\0" at 344) or NIfTI-2
  (sizeof_hdr 540, magic "n+2\\0\\r\\n\\x1a\\n" at 4), either byte order: NIFTI.
  A NIfTI header whose data is in a separate .img ("ni1"/"ni2") is rejected:
  upload a single-file .nii instead.
- gzip: the first bytes of the decompressed stream are read (a few hundred
  bytes, so a gzip bomb costs nothing here) and must be a NIfTI header
  (`.nii.gz`); any other gzip (e.g. a gzipped DICOM) is "not_an_image".
- PNG, JPEG, TIFF/BigTIFF, BMP by their signatures (BMP also needs a known
  DIB header size, since "BM" alone is too weak).
- ZIP: a local file header ("PK\\x03\\x04") or an empty archive ("PK\\x05\\x06").
- DICOM without the preamble and "DICM" (raw data set, as some old exports
  write): accepted only if the first element's group is 0002 or 0008 in
  either byte order, pydicom reads the header with force=True, the elements
  come in ascending tag order, and it names a SOP Class UID or Rows and
  Columns. Random binary (even beginning with 08 00) fails these checks.
- Anything else: RejectedFile(code="not_an_image").

Decoding and size checks are not done here: see `inspect.inspect`.
"""

from __future__ import annotations

import gzip
import re
import struct
import warnings
import zlib
from pathlib import Path

import pydicom
from pydicom.dataelem import RawDataElement

from .types import ContainerKind, ImageKind, RejectedFile

HEAD_BYTES = 1024
GZIP_MAGIC = b"\x1f\x8b"
NIFTI2_MAGIC_TAIL = b"\r\n\x1a\n"
_BMP_DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
_UID_RE = re.compile(r"^[0-9]+(\.[0-9]+)+$")


def sniff(path: Path, original_name: str) -> ImageKind | ContainerKind:
    """Detect the kind of `path` from its bytes; raise RejectedFile if it is no image we take."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise RejectedFile(original_name, "the file could not be opened", "unreadable") from exc
    if size == 0 or not head:
        raise RejectedFile(original_name, "the file is empty (0 bytes)", "empty_file")

    if len(head) >= 132 and head[128:132] == b"DICM":
        return ImageKind.DICOM
    version = nifti_version(head, original_name)
    if version:
        return ImageKind.NIFTI
    if head.startswith(GZIP_MAGIC):
        inner = _gunzip_head(path, 544)
        if inner is not None and nifti_version(inner, original_name):
            return ImageKind.NIFTI
        if inner is not None and len(inner) >= 132 and inner[128:132] == b"DICM":
            raise RejectedFile(
                original_name,
                "this is a gzip-compressed DICOM file; decompress it and upload the .dcm",
                "not_an_image",
            )
        raise RejectedFile(
            original_name,
            "this is a gzip-compressed file that does not hold a NIfTI image (.nii.gz)",
            "not_an_image",
        )
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return ImageKind.JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return ImageKind.TIFF
    if _is_bmp(head):
        return ImageKind.BMP
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return ContainerKind.ZIP
    if looks_like_raw_dicom(path, head):
        return ImageKind.DICOM
    raise RejectedFile(original_name, _not_an_image_message(head), "not_an_image")


def nifti_version(head: bytes, name: str = "") -> int | None:
    """1 or 2 for a single-file NIfTI header at the start of `head`, else None.

    Raises RejectedFile for a NIfTI header of a .hdr/.img pair (data elsewhere).
    """
    if len(head) >= 348:
        for endian in "<>":
            (sizeof_hdr,) = struct.unpack(endian + "i", head[:4])
            if sizeof_hdr == 348:
                magic = head[344:348]
                if magic == b"n+1\x00":
                    return 1
                if magic == b"ni1\x00":
                    raise RejectedFile(
                        name,
                        "this NIfTI header keeps its voxels in a separate .img file; "
                        "upload a single-file .nii or .nii.gz",
                        "not_an_image",
                    )
    if len(head) >= 12:
        for endian in "<>":
            (sizeof_hdr,) = struct.unpack(endian + "i", head[:4])
            if sizeof_hdr == 540 and head[8:12] == NIFTI2_MAGIC_TAIL:
                magic = head[4:8]
                if magic == b"n+2\x00":
                    return 2
                if magic == b"ni2\x00":
                    raise RejectedFile(
                        name,
                        "this NIfTI-2 header keeps its voxels in a separate .img file; "
                        "upload a single-file .nii or .nii.gz",
                        "not_an_image",
                    )
    return None


def _gunzip_head(path: Path, count: int) -> bytes | None:
    """The first `count` decompressed bytes, or None for a corrupt gzip."""
    try:
        with gzip.open(path, "rb") as gz:
            return gz.read(count)
    except (OSError, EOFError, zlib.error):
        return None


def _is_bmp(head: bytes) -> bool:
    if len(head) < 18 or not head.startswith(b"BM"):
        return False
    (dib_size,) = struct.unpack("<I", head[14:18])
    return dib_size in _BMP_DIB_SIZES


def looks_like_raw_dicom(path: Path, head: bytes | None = None) -> bool:
    """A DICOM data set without preamble/"DICM", judged strictly (see module docstring)."""
    if head is None:
        with Path(path).open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    if len(head) < 16:
        return False
    group_le = struct.unpack("<H", head[:2])[0]
    group_be = struct.unpack(">H", head[:2])[0]
    if group_le not in (0x0002, 0x0008) and group_be not in (0x0002, 0x0008):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # garbage input makes pydicom chatty
        try:
            return _parses_as_dicom(path)
        except Exception:  # any parse failure means: not DICOM
            return False


def _parses_as_dicom(path: Path) -> bool:
    ds = pydicom.dcmread(str(path), force=True, stop_before_pixels=True)
    elements = []
    for tag in list(ds.keys()):  # tags: iterating the Dataset would convert the values
        raw = ds.get_item(tag)
        elements.append((raw.value_tell if isinstance(raw, RawDataElement) else None, int(tag)))
    if len(elements) < 3:
        return False
    ordered = [tag for tell, tag in sorted(e for e in elements if e[0] is not None)]
    if ordered != sorted(ordered):
        return False
    if any(tag >> 16 == 0xFFFE for _tell, tag in elements):
        return False
    sop_class = str(ds.get("SOPClassUID", "") or "")
    if sop_class and _UID_RE.match(sop_class) and sop_class.startswith("1.2.840.10008."):
        return True
    rows, columns = ds.get("Rows"), ds.get("Columns")
    return isinstance(rows, int) and isinstance(columns, int) and rows > 0 and columns > 0


def _not_an_image_message(head: bytes) -> str:
    sample = head[:512]
    if sample and b"\x00" not in sample:
        try:
            sample.decode("utf-8")
            return "this is a text file, not an image (DICOM, NIfTI, PNG, JPEG, TIFF or BMP)"
        except UnicodeDecodeError:
            pass
    if head.startswith(b"MZ"):
        return "this is a Windows executable, not an image"
    if head.startswith(b"%PDF"):
        return "this is a PDF document, not an image"
    return "the content is not a recognised image format (DICOM, NIfTI, PNG, JPEG, TIFF or BMP) or ZIP"
