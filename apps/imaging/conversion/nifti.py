"""NIfTI-1 / NIfTI-2 (.nii and .nii.gz): validation, metadata and slices (nibabel).

Public:

    inspect_nifti(path: Path, original_name: str, limits: IngestLimits) -> ImageInfo
    read_nifti_frame(path: Path, index: int = 0, axis: Axis = Axis.AXIAL, volume: int = 0) -> np.ndarray
    nifti_frame_count(path: Path, axis: Axis = Axis.AXIAL) -> int
    open_capped_gzip(path: Path, cap: int, name: str = "") -> CappedReader

The file's name is never used: gzip is recognised by its magic bytes (nibabel
would go by the extension, so this module reads the header itself and hands
nibabel's ArrayProxy an open stream).

`inspect_nifti` checks, in this order, before reading any voxel:

- the header parses (nibabel's header checks), 2 to 4 dimensions (trailing
  dimensions of size 1 are allowed), a known scalar data type (RGB and complex
  voxels are refused);
- the declared voxel count against `limits.max_voxels_per_file` and an axial
  slice against `limits.max_pixels_per_frame` ("too_many_pixels");
- .nii: the file must hold vox_offset + voxels x bytes ("truncated_nifti");
- .nii.gz: vox_offset + voxels x bytes must fit `limits.max_decompressed_bytes`
  ("decompressed_too_large"); the stream is then inflated through a reader
  that counts bytes and stops at the cap, and must deliver every declared
  byte ("truncated_nifti" if it ends early or is corrupt).
All voxels are then streamed once (never the whole volume in memory) to take
a sample for the percentile window and to notice NaN/inf.

Geometry. The image is interpreted in the closest canonical RAS+ orientation
(what `nibabel.as_closest_canonical` gives: array axis 0 increases towards
the patient's Right, axis 1 towards Anterior, axis 2 towards Superior). A
slice `index` counts along that canonical axis: axial from inferior (0) to
superior, coronal from posterior to anterior, sagittal from the patient's
left to right. ImageInfo: `frames` = number of axial slices, `rows` x
`columns` = an axial slice as displayed, `pixel_spacing` = (row, column) of
an axial slice in mm, `slice_thickness` = `spacing_between_slices` = the
superior-inferior voxel size, `shape` = the array shape as stored,
`volumes` = 4th dimension, `orientation_codes` = nibabel.aff2axcodes of the
stored affine (e.g. "LAS"), `rescale_slope/intercept` = scl_slope/scl_inter.

Display convention of `read_nifti_frame` (radiological; float32 rows x
columns, scl_slope/scl_inter applied):

- axial: anterior at the top, the patient's right on the image's left;
- coronal: superior at the top, the patient's right on the image's left;
- sagittal: superior at the top, anterior on the image's left.

So a marker in the right-anterior-superior corner voxel is at the top-left
of the last axial slice. `volume` selects the time point of a 4D image.
IndexError for an index or volume out of range.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.orientations import aff2axcodes, io_orientation

from ._common import (
    FILE_CACHE,
    STAT_SAMPLES,
    check_file_size,
    check_frame_pixels,
    clean_text,
    guard,
    human_bytes,
    percentile_window,
)
from .sniff import GZIP_MAGIC, nifti_version
from .types import Axis, ImageInfo, ImageKind, IngestLimits, RejectedFile

CHUNK = 16 * 1024 * 1024
_AXIS_INDEX = {Axis.SAGITTAL: 0, Axis.CORONAL: 1, Axis.AXIAL: 2}
_UNIT_TO_MM = {"meter": 1000.0, "mm": 1.0, "micron": 0.001}


class CappedReader(io.RawIOBase):
    """A read-only stream over gzip data that refuses to inflate more than `cap` bytes."""

    def __init__(self, raw: io.BufferedIOBase, cap: int, name: str) -> None:
        super().__init__()
        self._raw = raw
        self._cap = cap
        self._name = name
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        allowed = self._cap - self.count + 1  # one byte more than the cap proves the overflow
        if allowed <= 0:
            self._overflow()
        data = self._raw.read(min(len(view), allowed))
        view[: len(data)] = data
        self.count += len(data)
        if self.count > self._cap:
            self._overflow()
        return len(data)

    def _overflow(self) -> None:
        raise RejectedFile(self._name, f"the compressed file inflates past the limit of "
                           f"{human_bytes(self._cap)}", "decompressed_too_large")

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_capped_gzip(path: Path, cap: int, name: str = "") -> CappedReader:
    """Open gzip `path` for reading; reading past `cap` inflated bytes raises RejectedFile."""
    return CappedReader(gzip.open(Path(path), "rb"), cap, name or Path(path).name)


def _open_data(path: Path, gz: bool):
    """A binary stream of the (inflated) file; the caller closes it (`with`)."""
    return gzip.open(path, "rb") if gz else Path(path).open("rb")


def _read_exact(stream, count: int) -> bytes:
    """Up to `count` bytes: fewer only at the end of the stream (raw reads may return less)."""
    parts: list[bytes] = []
    while count > 0:
        data = stream.read(min(count, CHUNK))
        if not data:
            break
        parts.append(data)
        count -= len(data)
    return b"".join(parts)


def _is_gzip(path: Path) -> bool:
    with Path(path).open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


class _FixLog:
    """Collects what nibabel's header check corrected (it wants an object with `.log`)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def log(self, level: int, message: str) -> None:
        if level and message:
            self.messages.append(message)


class _Layout:
    """What the header says, in the terms this module needs."""

    def __init__(self, header, gz: bool) -> None:
        self.header = header
        self.gz = gz
        self.fixes: list[str] = []
        self.shape = tuple(int(n) for n in header.get_data_shape())
        self.dtype = header.get_data_dtype()
        self.offset = int(header.get_data_offset())
        slope, inter = header.get_slope_inter()
        self.slope = 1.0 if slope is None or not np.isfinite(slope) or slope == 0 else float(slope)
        self.inter = 0.0 if inter is None or not np.isfinite(inter) else float(inter)
        self.affine = header.get_best_affine()
        dims = list(self.shape) + [1] * (4 - len(self.shape))
        self.shape4 = (dims[0], dims[1], dims[2], math.prod(dims[3:]))
        self.nvox = math.prod(self.shape4)
        self.data_bytes = self.nvox * self.dtype.itemsize
        ornt = io_orientation(self.affine)
        self.degenerate = bool(np.isnan(ornt).any())
        self.ornt = np.array([[0, 1], [1, 1], [2, 1]]) if self.degenerate else ornt.astype(int)

    def canonical(self, values: tuple) -> list:
        out = [None, None, None]
        for stored_axis in range(3):
            out[self.ornt[stored_axis, 0]] = values[stored_axis]
        return out


def _read_layout(path: Path, name: str) -> _Layout:
    gz = _is_gzip(path)
    try:
        with _open_data(path, gz) as fh:
            head = fh.read(540)
    except (OSError, EOFError, zlib.error) as exc:
        raise RejectedFile(name, "the compressed NIfTI file is damaged", "truncated_nifti") from exc
    version = nifti_version(head, name)
    if version is None:
        raise RejectedFile(name, "this is not a NIfTI-1 or NIfTI-2 file", "not_an_image")
    header_class = nib.Nifti1Header if version == 1 else nib.Nifti2Header
    size = 348 if version == 1 else 540
    fixes = _FixLog()
    try:
        header = header_class(binaryblock=head[:size], check=False)
        header.check_fix(logger=fixes, error_level=40)  # fixes minor problems, raises on serious ones
    except Exception as exc:
        raise RejectedFile(name, f"the NIfTI header is invalid ({exc})", "invalid_header") from exc
    try:
        layout = _Layout(header, gz)
        layout.fixes = fixes.messages
    except Exception as exc:
        raise RejectedFile(name, f"the NIfTI header is invalid ({type(exc).__name__}: {exc})",
                           "invalid_header") from exc
    if layout.dtype.fields is not None or layout.dtype.kind not in "biuf":
        raise RejectedFile(name, f"NIfTI voxels of type {header.get_value_label('datatype')} are not "
                           "supported (only scalar integer or real values)", "unsupported_data_type")
    if len(layout.shape) < 2 or any(n < 1 for n in layout.shape):
        raise RejectedFile(name, f"the NIfTI header declares the shape {layout.shape}, which is no image",
                           "invalid_header")
    if len(layout.shape) > 4 and math.prod(layout.shape[4:]) > 1:
        raise RejectedFile(name, f"NIfTI images with more than 4 dimensions ({layout.shape}) are not "
                           "supported", "unsupported_dimensions")
    if layout.offset < size:
        raise RejectedFile(name, "the NIfTI header's vox_offset points inside the header", "invalid_header")
    return layout


def _check_limits(layout: _Layout, name: str, limits: IngestLimits, file_size: int) -> None:
    x, y, z, t = layout.shape4
    check_frame_pixels(name, y, x, z * t, 1, limits)
    needed = layout.offset + layout.data_bytes
    described = (f"{' x '.join(str(n) for n in layout.shape)} voxels of {layout.dtype.name} "
                 f"({human_bytes(layout.data_bytes)})")
    if layout.gz:
        if needed > limits.max_decompressed_bytes:
            raise RejectedFile(name, f"the header declares {described}, which would inflate past the limit "
                               f"of {human_bytes(limits.max_decompressed_bytes)}", "decompressed_too_large")
    elif file_size < needed:
        raise RejectedFile(name, f"the header declares {described} but the file holds only "
                           f"{human_bytes(max(file_size - layout.offset, 0))} of voxel data",
                           "truncated_nifti")


def _stream_stats(path: Path, layout: _Layout, name: str, limits: IngestLimits) -> tuple[np.ndarray, int]:
    """Read every voxel once; return a strided sample (scaled) and the count of non-finite values."""
    itemsize = layout.dtype.itemsize
    step = max(1, layout.nvox // STAT_SAMPLES)
    samples: list[np.ndarray] = []
    non_finite = 0
    if layout.gz:
        stream = open_capped_gzip(path, limits.max_decompressed_bytes, name)
    else:
        stream = _open_data(path, False)
    try:
        with stream:
            skipped = _read_exact(stream, layout.offset)
            if len(skipped) < layout.offset:
                raise RejectedFile(name, "the NIfTI file ends before its voxel data begins",
                                   "truncated_nifti")
            index = 0  # global voxel index of the next value
            remaining = layout.data_bytes
            chunk_bytes = max(itemsize, CHUNK - CHUNK % itemsize)
            while remaining:
                data = _read_exact(stream, min(chunk_bytes, remaining))
                if len(data) < min(chunk_bytes, remaining):
                    got = layout.data_bytes - remaining + len(data)
                    raise RejectedFile(
                        name, f"the NIfTI file ends after {human_bytes(got)} of its "
                        f"{human_bytes(layout.data_bytes)} of voxel data", "truncated_nifti",
                    )
                remaining -= len(data)
                values = np.frombuffer(data, dtype=layout.dtype)
                first = (-index) % step
                picked = values[first::step].astype(np.float64)
                if layout.dtype.kind == "f":
                    bad = ~np.isfinite(values)
                    non_finite += int(bad.sum())
                samples.append(picked * layout.slope + layout.inter)
                index += values.size
    except (OSError, EOFError, zlib.error) as exc:
        raise RejectedFile(name, "the compressed NIfTI file is damaged or cut short",
                           "truncated_nifti") from exc
    return (np.concatenate(samples) if samples else np.zeros(0)), non_finite


def inspect_nifti(path: Path, original_name: str, limits: IngestLimits) -> ImageInfo:
    """Validate a NIfTI file fully and describe it; RejectedFile for bad input."""
    path = Path(path)
    name = original_name
    with guard(name, "NIfTI file"):
        file_size = check_file_size(path, name, limits)
        layout = _read_layout(path, name)
        _check_limits(layout, name, limits, file_size)
        sample, non_finite = _stream_stats(path, layout, name, limits)
        notes: list[str] = [f"NIfTI header corrected: {fix}" for fix in layout.fixes]
        if non_finite:
            notes.append(f"{non_finite:,} voxels are NaN or infinite")
        if layout.degenerate:
            notes.append("the affine has no usable orientation; the array axes are taken as RAS")
        window = percentile_window(sample)
        if window is None:
            window = (0.0, 1.0)
            notes.append("no finite voxel value: default window used")

        header = layout.header
        space_unit = header.get_xyzt_units()[0]
        to_mm = _UNIT_TO_MM.get(space_unit, 1.0)
        zooms = [float(v) * to_mm for v in header.get_zooms()[:3]] + [1.0] * (3 - len(layout.shape[:3]))
        canon_shape = layout.canonical(layout.shape4[:3])
        canon_zoom = layout.canonical(tuple(zooms[:3]))
        codes = None if layout.degenerate else "".join(aff2axcodes(layout.affine))
        x_size, y_size, z_size = canon_shape
        return ImageInfo(
            kind=ImageKind.NIFTI,
            original_name=name,
            rows=int(y_size),
            columns=int(x_size),
            frames=int(z_size),
            series_description=clean_text(_descrip(header)),
            shape=layout.shape,
            volumes=layout.shape4[3],
            pixel_spacing=(abs(canon_zoom[1]), abs(canon_zoom[0])),
            slice_thickness=abs(canon_zoom[2]),
            spacing_between_slices=abs(canon_zoom[2]),
            orientation_codes=codes,
            samples_per_pixel=1,
            photometric_interpretation="MONOCHROME2",
            bits_allocated=layout.dtype.itemsize * 8,
            bits_stored=layout.dtype.itemsize * 8,
            rescale_slope=layout.slope,
            rescale_intercept=layout.inter,
            window_center=window[0],
            window_width=window[1],
            window_source="percentile",
            warnings=tuple(notes),
        )


def _descrip(header) -> str:
    try:
        raw = bytes(np.asarray(header["descrip"]).item())
        return raw.split(b"\x00", 1)[0].decode("latin-1")
    except Exception:
        return ""


def nifti_frame_count(path: Path, axis: Axis = Axis.AXIAL) -> int:
    path = Path(path)
    with guard(path.name, "NIfTI file"):
        layout = _read_layout(path, path.name)
        return int(layout.canonical(layout.shape4[:3])[_AXIS_INDEX[Axis(axis)]])


def _volume(path: Path, layout: _Layout, name: str) -> np.ndarray:
    """The stored voxels as an (x, y, z, t) array, unscaled: memory-mapped for .nii, inflated
    once and kept in FILE_CACHE for .nii.gz."""
    if not layout.gz:
        return np.memmap(path, dtype=layout.dtype, mode="r", offset=layout.offset, shape=layout.shape4,
                         order="F")

    def inflate() -> np.ndarray:
        with open_capped_gzip(path, layout.offset + layout.data_bytes, name) as stream:
            _read_exact(stream, layout.offset)
            data = _read_exact(stream, layout.data_bytes)
        if len(data) < layout.data_bytes:
            raise RejectedFile(name, "the NIfTI file ends before all its voxels", "truncated_nifti")
        return np.frombuffer(data, dtype=layout.dtype).reshape(layout.shape4, order="F")

    return FILE_CACHE.get_or_load(path, "nifti", layout.data_bytes, inflate)


def read_nifti_frame(path: Path, index: int = 0, axis: Axis = Axis.AXIAL, volume: int = 0) -> np.ndarray:
    """One slice along an anatomical axis, for radiological display (see the module docstring)."""
    path = Path(path)
    name = path.name
    with guard(name, "NIfTI file"):
        layout = _read_layout(path, name)
    target = _AXIS_INDEX[Axis(axis)]
    stored_axis = int(np.flatnonzero(layout.ornt[:, 0] == target)[0])
    count = layout.shape4[stored_axis]
    if not 0 <= index < count:
        raise IndexError(f"slice {index} is out of range: {name} has {count} {Axis(axis).value} slices")
    if not 0 <= volume < layout.shape4[3]:
        raise IndexError(f"volume {volume} is out of range: {name} has {layout.shape4[3]} volume(s)")
    flip = layout.ornt[stored_axis, 1]
    stored_index = index if flip == 1 else count - 1 - index
    slicer: list = [slice(None)] * 4
    slicer[stored_axis] = stored_index
    slicer[3] = volume
    with guard(name, "NIfTI file"):
        plane = np.asarray(_volume(path, layout, name)[tuple(slicer)], dtype=np.float64)
        if layout.slope != 1.0 or layout.inter != 0.0:
            plane = plane * layout.slope + layout.inter
    # the two remaining stored axes, in stored order, mapped to canonical axes
    rest = [a for a in range(3) if a != stored_axis]
    for position, a in enumerate(rest):
        if layout.ornt[a, 1] == -1:
            plane = np.flip(plane, axis=position)
    if layout.ornt[rest[0], 0] > layout.ornt[rest[1], 0]:
        plane = plane.T
    # plane[i, j]: i along the lower canonical axis (R or A), j along the higher (A or S).
    # Display: rows run from the higher axis' positive end down, columns from the lower axis' positive end.
    return np.ascontiguousarray(plane[::-1, ::-1].T, dtype=np.float32)


# Free-text header fields a converter or a person may have filled with names
# or IDs (db_name is ANALYZE's, NIfTI-1 only). intent_name is kept: it names
# the statistic a volume holds, which readers need.
NIFTI_TEXT_FIELDS = ("descrip", "aux_file", "db_name")
NIFTI_DEID_METHOD = "RadCase: NIfTI descrip/aux_file/db_name emptied, header extensions removed"


def deidentify_nifti(src: Path, dst: Path) -> str:
    """Copy `src` to `dst` with the free-text header fields emptied and every
    header extension (which may hold a whole DICOM header, ecode 2) removed.
    The voxel bytes and their offset are unchanged; a gzipped file stays
    gzipped. Returns the method text recorded with the stored file."""
    layout = _read_layout(Path(src), Path(src).name)
    header = layout.header.copy()
    for field in NIFTI_TEXT_FIELDS:
        if field in header:
            header[field] = b""
    block = header.binaryblock
    if layout.offset < len(block):
        raise RejectedFile(Path(src).name, "the header says the voxels start inside the header",
                           "invalid_nifti")
    # After the fixed header: the 4-byte extension flag (all zero: no
    # extensions) and zero padding up to where the voxels start.
    prefix = block + b"\0" * max(0, layout.offset - len(block))
    opener = gzip.open if layout.gz else open
    with _open_data(Path(src), layout.gz) as source, opener(Path(dst), "wb") as target:
        _read_exact(source, layout.offset)
        target.write(prefix)
        while chunk := source.read(CHUNK):
            target.write(chunk)
    return NIFTI_DEID_METHOD


__all__ = ["CappedReader", "deidentify_nifti", "inspect_nifti", "nifti_frame_count", "open_capped_gzip",
           "read_nifti_frame"]
