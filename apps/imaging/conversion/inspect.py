"""The entry points the platform calls: validate a file, read its frames.

Public:

    inspect(path: Path, original_name: str, limits: IngestLimits = IngestLimits()) -> ImageInfo
    read_frame(path: Path, kind: ImageKind, index: int = 0, axis: Axis = Axis.AXIAL, volume: int = 0)
        -> np.ndarray
    frame_count(path: Path, kind: ImageKind, axis: Axis = Axis.AXIAL) -> int

and, re-exported from their modules:

    sniff(path: Path, original_name: str) -> ImageKind | ContainerKind           (sniff.py)
    extract_archive(path, dest_dir, limits, original_name) -> ExtractedArchive   (archive.py)
    sanitize_dicom_preamble(src: Path, dst: Path) -> bool                        (dicom.py)

`inspect` sniffs the content (never the name), then validates the file fully
for its kind (dicom.inspect_dicom, nifti.inspect_nifti, raster.inspect_raster:
their docstrings list the checks) and returns its ImageInfo. Every problem is
a RejectedFile with a stable `code`; an unexpected parser exception is wrapped
as code "unreadable". A ZIP is not an image: inspect raises RejectedFile
(code "is_archive") so the caller extracts it with `extract_archive` first.

Codes used by this package: empty_file, file_too_large, not_an_image,
is_archive, invalid_header, too_many_pixels, truncated_dicom, no_pixel_data,
unsupported_transfer_syntax, corrupt_pixel_data, truncated_nifti,
decompressed_too_large, unsupported_data_type, unsupported_dimensions,
truncated_image, unreadable, unsafe_archive_member, too_many_members,
archive_too_large, unreadable_archive.

`read_frame` returns one 2D frame: float32 in modality units for grey images
(DICOM rescale or Modality LUT applied, NIfTI scl_slope/scl_inter applied;
MONOCHROME1 is NOT inverted), uint8 rows x columns x 3 for colour ones. For
NIfTI, `axis` and `volume` select the anatomical plane and time point and the
slice is oriented for radiological display (see nifti.py); for DICOM, `index`
is the frame number as stored and `axis` is ignored; raster images have one
frame. `frame_count` counts the frames `read_frame` accepts for that axis.
Both expect a file that `inspect` accepted; an index out of range raises
IndexError. Reading frame after frame of one file is cheap: the parsed DICOM
data set or the inflated .nii.gz volume is kept in a least-recently-used
cache of at most 256 MB per process (keyed by path, size and modification
time; `_common.FILE_CACHE.clear()` empties it). Uncompressed .nii files are
memory-mapped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._common import check_file_size, guard
from .archive import ExtractedArchive, SkippedMember, extract_archive
from .dicom import dicom_frame_count, inspect_dicom, read_dicom_frame, sanitize_dicom_preamble
from .nifti import inspect_nifti, nifti_frame_count, read_nifti_frame
from .raster import inspect_raster, read_raster_frame
from .sniff import sniff
from .types import Axis, ContainerKind, ImageInfo, ImageKind, IngestLimits, RejectedFile

DEFAULT_LIMITS = IngestLimits()


def inspect(path: Path, original_name: str, limits: IngestLimits = DEFAULT_LIMITS) -> ImageInfo:
    """Validate `path` fully and return its metadata; RejectedFile for anything we won't store."""
    path = Path(path)
    with guard(original_name):
        check_file_size(path, original_name, limits)
        kind = sniff(path, original_name)
        if kind == ContainerKind.ZIP:
            raise RejectedFile(original_name, "this is a ZIP archive, not an image; it must be extracted "
                               "first", "is_archive")
        if kind == ImageKind.DICOM:
            return inspect_dicom(path, original_name, limits)
        if kind == ImageKind.NIFTI:
            return inspect_nifti(path, original_name, limits)
        return inspect_raster(path, original_name, limits)


def read_frame(path: Path, kind: ImageKind, index: int = 0, axis: Axis = Axis.AXIAL,
               volume: int = 0) -> np.ndarray:
    """One 2D frame: float32 modality units (grey) or uint8 HxWx3 (colour)."""
    kind = ImageKind(kind)
    if kind == ImageKind.DICOM:
        return read_dicom_frame(path, index)
    if kind == ImageKind.NIFTI:
        return read_nifti_frame(path, index, Axis(axis), volume)
    if index != 0:
        raise IndexError(f"frame {index} is out of range: a {kind.value} image has one frame")
    return read_raster_frame(path)


def frame_count(path: Path, kind: ImageKind, axis: Axis = Axis.AXIAL) -> int:
    """How many frames `read_frame` accepts for this file and axis."""
    kind = ImageKind(kind)
    if kind == ImageKind.DICOM:
        return dicom_frame_count(path)
    if kind == ImageKind.NIFTI:
        return nifti_frame_count(path, Axis(axis))
    return 1


__all__ = [
    "ExtractedArchive",
    "SkippedMember",
    "extract_archive",
    "frame_count",
    "inspect",
    "read_frame",
    "sanitize_dicom_preamble",
    "sniff",
]
