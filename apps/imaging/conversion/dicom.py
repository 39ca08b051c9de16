"""DICOM: validation, metadata, frames and preamble sanitising (pydicom + pylibjpeg).

Public:

    inspect_dicom(path: Path, original_name: str, limits: IngestLimits) -> ImageInfo
    read_dicom_frame(path: Path, index: int = 0) -> np.ndarray
    dicom_frame_count(path: Path) -> int
    sanitize_dicom_preamble(src: Path, dst: Path) -> bool

`inspect_dicom` (normally reached through `inspect.inspect`):

1. reads the data set (Part 10, or a raw data set without preamble whose
   transfer syntax is inferred from its encoding) and rejects a file cut
   short: an element whose value is shorter than its declared length, or
   encapsulated pixel data without its closing delimiter ("truncated_dicom");
2. rejects a data set without Pixel Data / Float Pixel Data / Double Float
   Pixel Data ("no_pixel_data", naming the SOP class, e.g. a structured
   report or DICOMDIR);
3. checks the DECLARED Rows x Columns x NumberOfFrames against the limits
   before any pixel is decoded ("too_many_pixels");
4. decodes every frame (JPEG, JPEG-LS, JPEG 2000, HTJ2K and RLE via pylibjpeg
   and its plugins, Pillow or pydicom's own RLE decoder). A transfer syntax no
   installed decoder handles is rejected as "unsupported_transfer_syntax"
   naming it; decoder failures are "corrupt_pixel_data"; native pixel data
   shorter than declared is "truncated_dicom";
5. extracts metadata. Attributes missing at the top level are looked up in the
   enhanced multi-frame functional groups (per-frame item of frame 0 first,
   then shared): PixelMeasuresSequence (PixelSpacing, SliceThickness,
   SpacingBetweenSlices), PlaneOrientationSequence, PlanePositionSequence,
   PixelValueTransformationSequence (rescale), FrameVOILUTSequence (window),
   FrameAnatomySequence (body part). The window is the file's first
   WindowCenter/WindowWidth value ("dicom"), else the 0.5-99.5th percentile of
   the rescaled pixels of up to 8 evenly spaced frames ("percentile"); colour
   images get 127.5/255 ("full_range"). The acquisition date is
   AcquisitionDate, else AcquisitionDateTime, SeriesDate, StudyDate.
   Secondary capture means a SOP Class UID 1.2.840.10008.5.1.4.1.1.7 or
   1.2.840.10008.5.1.4.1.1.7.x (not ...1.1.77, the VL classes).

`read_dicom_frame` returns frame `index` (0-based):

- grey (SamplesPerPixel 1, not PALETTE COLOR): float32 rows x columns in
  modality units: the Modality LUT Sequence if present, else the frame's own
  RescaleSlope/Intercept (per-frame functional group, shared, or top level).
  MONOCHROME1 is NOT inverted (rendering does that from
  ImageInfo.photometric_interpretation);
- colour (SamplesPerPixel 3, any YBR converted to RGB; PALETTE COLOR expanded
  through its LUT): uint8 rows x columns x 3, scaled down from 16 bits if
  need be.

IndexError for an index outside 0..frames-1; RejectedFile if it cannot be read.
The parsed data set is kept in `_common.FILE_CACHE`, so reading every frame
of a multi-frame file parses it once.

`sanitize_dicom_preamble(src, dst)` writes `dst` as a copy of `src` whose
128-byte preamble is all zeros (a preamble may hold anything, e.g. a Windows
"MZ" executable header, which makes the file a DICOM/PE polyglot); returns
True if bytes changed. `src` and `dst` may be the same path (zeroed in place).
A raw data set without preamble is copied unchanged (False). Note for writers
using pydicom: `dcmread` keeps the original preamble in `ds.preamble` and
`dcmwrite` writes it back, so set `ds.preamble = b"\\0" * 128` (or run this
function on the written file).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_color_lut, apply_modality_lut, get_decoder, iter_pixels
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from ._common import (
    FILE_CACHE,
    check_file_size,
    check_frame_pixels,
    clean_text,
    guard,
    is_fatal,
    percentile_window,
    subsample,
)
from .sniff import looks_like_raw_dicom
from .types import ImageInfo, ImageKind, IngestLimits, RejectedFile

PREAMBLE_SIZE = 128
ZERO_PREAMBLE = b"\x00" * PREAMBLE_SIZE
SECONDARY_CAPTURE_ROOT = "1.2.840.10008.5.1.4.1.1.7"
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
STAT_FRAMES = 8
UNDEFINED_LENGTH = 0xFFFFFFFF


# --- reading ------------------------------------------------------------------

def _has_part10_prefix(path: Path) -> tuple[bool, bytes]:
    with Path(path).open("rb") as fh:
        head = fh.read(PREAMBLE_SIZE + 4)
    return len(head) == PREAMBLE_SIZE + 4 and head[PREAMBLE_SIZE:] == b"DICM", head[:PREAMBLE_SIZE]


def _read(path: Path, name: str, *, stop_before_pixels: bool = False) -> Dataset:
    """Read the data set, reject truncation, and make sure a transfer syntax is known."""
    part10, _preamble = _has_part10_prefix(path)
    if not part10 and not looks_like_raw_dicom(path):
        raise RejectedFile(name, "this is not a DICOM file", "not_an_image")
    cut_short = RejectedFile(name, "the DICOM file ends before its data is complete; it was probably cut "
                             "short during transfer", "truncated_dicom")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(str(path), force=True, stop_before_pixels=stop_before_pixels)
        except InvalidDicomError as exc:
            raise RejectedFile(name, f"this is not a readable DICOM file ({exc})", "not_an_image") from exc
        except (EOFError, BufferError, struct.error, zlib.error) as exc:
            raise cut_short from exc
        except OSError as exc:
            if "No tag to read" in str(exc):
                raise cut_short from exc
            raise
    for warning in caught:
        text = str(warning.message)
        if "End of file" in text or "EOF" in text:
            raise cut_short
    if part10 and len(ds) == 0:
        raise RejectedFile(name, "the DICOM file holds only its file meta header and no data set; it was "
                           "probably cut short during transfer", "truncated_dicom")
    _ensure_transfer_syntax(ds)
    if not stop_before_pixels:
        _check_element_lengths(ds, name, Path(path).stat().st_size)
    notes: list[str] = []
    if "PhotometricInterpretation" not in ds and any(k in ds for k in PIXEL_KEYWORDS):
        samples = _int(_get(ds, "SamplesPerPixel")) or 1
        ds.PhotometricInterpretation = "MONOCHROME2" if samples == 1 else "RGB"
        notes.append(f"PhotometricInterpretation missing; {ds.PhotometricInterpretation} assumed")
    ds._radcase_notes = notes  # read by _describe
    return ds


def _check_element_lengths(ds: Dataset, name: str, file_size: int) -> None:
    """Reject a data set whose last element(s) lost bytes to a cut."""
    positional = _transfer_syntax(ds) != DeflatedExplicitVRLittleEndian  # offsets are in the file
    last_end = 0
    for tag in list(ds.keys()):
        elem = ds.get_item(tag)
        if not isinstance(elem, RawDataElement) or elem.value is None:
            continue
        value = elem.value
        if elem.length == UNDEFINED_LENGTH:
            if positional and isinstance(value, bytes):
                # the value is followed by an 8-byte sequence delimitation item
                end = elem.value_tell + len(value) + 8
                if end > file_size:
                    raise RejectedFile(name, "the DICOM file is cut short: its "
                                       f"{'pixel data' if tag == 0x7FE00010 else f'element {tag}'} "
                                       "lacks its closing delimiter", "truncated_dicom")
                last_end = max(last_end, end)
            continue
        if len(value) < elem.length:
            what = "pixel data" if tag in (0x7FE00010, 0x7FE00008, 0x7FE00009) else f"element {tag}"
            raise RejectedFile(
                name,
                f"the DICOM file is cut short: its {what} declares {elem.length:,} bytes but only "
                f"{len(value):,} are present",
                "truncated_dicom",
            )
        last_end = max(last_end, elem.value_tell + elem.length)
    if positional and last_end and 0 < file_size - last_end < 12 and not any(k in ds for k in PIXEL_KEYWORDS):
        raise RejectedFile(name, "the DICOM file is cut short: it ends in the middle of an element header",
                           "truncated_dicom")


def _ensure_transfer_syntax(ds: Dataset) -> None:
    meta = ds.file_meta
    if meta.get("TransferSyntaxUID"):
        return
    implicit, little = ds.original_encoding
    if implicit:
        meta.TransferSyntaxUID = ImplicitVRLittleEndian
    elif little:
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
    else:
        meta.TransferSyntaxUID = ExplicitVRBigEndian


def _transfer_syntax(ds: Dataset) -> UID:
    return UID(str(ds.file_meta.TransferSyntaxUID))


def _ts_label(uid: UID) -> str:
    name = uid.name
    return f"{name} ({uid})" if name and name != str(uid) else str(uid)


# --- value helpers ------------------------------------------------------------

def _first(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return value[0] if len(value) else None
    return value


def _float(value: Any) -> float | None:
    value = _first(value)
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _floats(value: Any, count: int) -> tuple[float, ...] | None:
    if value is None or value == "":
        return None
    try:
        values = tuple(float(v) for v in (value if not isinstance(value, (str, bytes)) else [value]))
    except (TypeError, ValueError):
        return None
    if len(values) != count or not all(np.isfinite(values)):
        return None
    return values


def _int(value: Any) -> int | None:
    value = _first(value)
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _get(ds: Dataset, keyword: str) -> Any:
    try:
        return ds.get(keyword)
    except Exception:  # a malformed value: treat as absent
        return None


def _group_value(ds: Dataset, sequence: str, keyword: str, frame: int = 0) -> Any:
    """An attribute from the enhanced multi-frame functional groups (per-frame, then shared)."""
    containers = []
    per_frame = _get(ds, "PerFrameFunctionalGroupsSequence")
    if per_frame and 0 <= frame < len(per_frame):
        containers.append(per_frame[frame])
    shared = _get(ds, "SharedFunctionalGroupsSequence")
    if shared:
        containers.append(shared[0])
    for item in containers:
        seq = _get(item, sequence)
        if seq:
            value = _get(seq[0], keyword)
            if value is not None and value != "":
                return value
    return None


def _attr(ds: Dataset, keyword: str, sequence: str, frame: int = 0) -> Any:
    value = _get(ds, keyword)
    if value is None or value == "":
        value = _group_value(ds, sequence, keyword, frame)
    return value


def _date(ds: Dataset) -> dt.date | None:
    candidates = [_get(ds, "AcquisitionDate")]
    adt = _get(ds, "AcquisitionDateTime")
    candidates.append(str(adt)[:8] if adt else None)
    candidates += [_get(ds, "SeriesDate"), _get(ds, "StudyDate")]
    for value in candidates:
        text = str(value or "").strip().replace(".", "").replace("-", "")
        if len(text) >= 8 and text[:8].isdigit():
            try:
                return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
            except ValueError:
                continue
    return None


def _body_part(ds: Dataset) -> str:
    body = clean_text(_get(ds, "BodyPartExamined"))
    if body:
        return body
    region = _group_value(ds, "FrameAnatomySequence", "AnatomicRegionSequence")
    if region:
        return clean_text(_get(region[0], "CodeMeaning"))
    return ""


def _rescale(ds: Dataset, frame: int = 0) -> tuple[float, float]:
    slope = _float(_attr(ds, "RescaleSlope", "PixelValueTransformationSequence", frame))
    intercept = _float(_attr(ds, "RescaleIntercept", "PixelValueTransformationSequence", frame))
    if slope is None or slope == 0:
        slope = 1.0
    return slope, intercept if intercept is not None else 0.0


def _frames(ds: Dataset) -> int:
    frames = _int(_get(ds, "NumberOfFrames"))
    return frames if frames and frames > 0 else 1


def _is_colour(ds: Dataset) -> bool:
    samples = _int(_get(ds, "SamplesPerPixel")) or 1
    return samples > 1 or str(_get(ds, "PhotometricInterpretation") or "").strip() == "PALETTE COLOR"


def _to_uint8_rgb(arr: np.ndarray, bits_stored: int | None) -> np.ndarray:
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    top = float(2 ** (bits_stored or arr.dtype.itemsize * 8) - 1)
    if arr.dtype == np.uint16 and bits_stored is None:
        top = 65535.0
    scaled = np.clip(arr.astype(np.float64) * (255.0 / top), 0, 255)
    return np.rint(scaled).astype(np.uint8)


def _grey_units(arr: np.ndarray, ds: Dataset, frame: int) -> np.ndarray:
    if arr.dtype.kind == "f":
        return arr.astype(np.float32, copy=False)
    if _get(ds, "ModalityLUTSequence"):
        return np.asarray(apply_modality_lut(arr, ds), dtype=np.float32)
    slope, intercept = _rescale(ds, frame)
    out = arr.astype(np.float32)
    if slope != 1.0:
        out *= np.float32(slope)
    if intercept != 0.0:
        out += np.float32(intercept)
    return out


def _present_frame(arr: np.ndarray, ds: Dataset, frame: int) -> np.ndarray:
    photometric = str(_get(ds, "PhotometricInterpretation") or "").strip()
    bits_stored = _int(_get(ds, "BitsStored"))
    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(arr, ds)
        return _to_uint8_rgb(rgb, 16 if rgb.dtype == np.uint16 else None)
    if arr.ndim == 3:
        return _to_uint8_rgb(arr, bits_stored)
    return _grey_units(arr, ds, frame)


# --- pixel decoding -----------------------------------------------------------

def _decoder_or_reject(ds: Dataset, name: str):
    uid = _transfer_syntax(ds)
    try:
        decoder = get_decoder(uid)
    except NotImplementedError as exc:
        raise RejectedFile(
            name,
            f"the pixel data uses the transfer syntax {_ts_label(uid)}, which this server cannot decode; "
            "please export the images uncompressed or with JPEG, JPEG-LS, JPEG 2000 or RLE compression",
            "unsupported_transfer_syntax",
        ) from exc
    if not decoder.is_available:
        raise RejectedFile(
            name,
            f"no decoder is installed for the transfer syntax {_ts_label(uid)}",
            "unsupported_transfer_syntax",
        )
    return decoder


def _decode_error(exc: Exception, ds: Dataset, name: str) -> RejectedFile:
    text = str(exc)
    if "less than expected" in text or "shorter than" in text:
        return RejectedFile(
            name, "the DICOM file is cut short: its pixel data holds fewer bytes than the header declares",
            "truncated_dicom",
        )
    first_line = text.strip().splitlines()[-1].strip() if text.strip() else type(exc).__name__
    return RejectedFile(
        name,
        f"the pixel data ({_ts_label(_transfer_syntax(ds))}) could not be decoded: {first_line[:200]}",
        "corrupt_pixel_data",
    )


def _verify_and_sample(ds: Dataset, name: str, frames: int, colour: bool) -> np.ndarray | None:
    """Decode every frame; keep a subsample of the rescaled values of up to 8 frames."""
    _decoder_or_reject(ds, name)
    rows, columns = _int(_get(ds, "Rows")), _int(_get(ds, "Columns"))
    wanted = set(np.linspace(0, frames - 1, min(frames, STAT_FRAMES)).round().astype(int).tolist())
    samples: list[np.ndarray] = []
    seen = 0
    try:
        for index, arr in enumerate(iter_pixels(ds)):
            seen += 1
            if arr.shape[:2] != (rows, columns):
                raise RejectedFile(name, f"frame {index + 1} decodes to {arr.shape[1]} x {arr.shape[0]} "
                                   f"pixels but the header declares {columns} x {rows}", "corrupt_pixel_data")
            if index in wanted and not colour:
                samples.append(subsample(_grey_units(arr, ds, index), 1_000_000 // len(wanted) + 1))
    except RejectedFile:
        raise
    except BaseException as exc:  # incl. a Rust decoder's panic (pyo3 PanicException)
        if is_fatal(exc):
            raise
        raise _decode_error(exc, ds, name) from exc
    if seen < frames:
        raise RejectedFile(name, f"only {seen} of the {frames} declared frames could be decoded",
                           "truncated_dicom")
    return np.concatenate(samples) if samples else None


def _frame_array(ds: Dataset, index: int, name: str) -> np.ndarray:
    """Decode one frame; if locating it alone fails (e.g. a damaged Basic Offset Table), decode the
    frames in sequence, as `inspect` verified them."""
    try:
        return pydicom.pixels.pixel_array(ds, index=index)
    except BaseException as exc:  # incl. a Rust decoder's panic (pyo3 PanicException)
        if is_fatal(exc):
            raise
        first_error = exc
    try:
        for number, arr in enumerate(iter_pixels(ds)):
            if number == index:
                return arr
    except BaseException as exc:
        if is_fatal(exc):
            raise
    raise _decode_error(first_error, ds, name) from first_error


def _check_presentable(ds: Dataset, name: str) -> None:
    """Frame 0 goes through exactly what read_frame does (frame lookup, palette, rescale)."""
    arr = _frame_array(ds, 0, name)
    try:
        frame = _present_frame(arr, ds, 0)
    except BaseException as exc:
        if is_fatal(exc):
            raise
        raise RejectedFile(name, "the pixel data cannot be converted for display (e.g. a damaged palette "
                           f"or modality lookup table: {str(exc)[:160]})", "corrupt_pixel_data") from exc
    if frame.shape[:2] != (_int(_get(ds, "Rows")), _int(_get(ds, "Columns"))):
        raise RejectedFile(name, "the first frame does not decode to the declared size", "corrupt_pixel_data")


# --- public -------------------------------------------------------------------

def inspect_dicom(path: Path, original_name: str, limits: IngestLimits) -> ImageInfo:
    """Validate a DICOM file fully and describe it; RejectedFile for bad input."""
    path = Path(path)
    with guard(original_name, "DICOM file"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom's notes on odd values; problems raise instead
        check_file_size(path, original_name, limits)
        ds = _read(path, original_name)
        warnings_out: list[str] = []
        part10, preamble = _has_part10_prefix(path)
        if part10 and preamble != ZERO_PREAMBLE:
            what = ""
            if preamble.startswith(b"MZ"):
                what = " (it holds a Windows executable header)"
            elif preamble[:4] in (b"II*\x00", b"MM\x00*"):
                what = " (it holds a TIFF header)"
            warnings_out.append(f"the 128-byte preamble is not zero{what}; it is zeroed before storage")
        if not part10:
            warnings_out.append("the file has no DICOM preamble/file meta header; "
                                f"transfer syntax inferred as {_transfer_syntax(ds).name}")
        return _describe(ds, path, original_name, limits, warnings_out)


def _describe(ds: Dataset, path: Path, name: str, limits: IngestLimits, notes: list[str]) -> ImageInfo:
    sop_class = str(_get(ds, "SOPClassUID") or "").strip()
    if not any(keyword in ds for keyword in PIXEL_KEYWORDS):
        kind = UID(sop_class).name if sop_class else "unknown"
        hint = ""
        if kind.endswith("Image Storage"):
            hint = "; an image of this class should have pixel data, so the file may have been cut short"
        raise RejectedFile(
            name, f"this DICOM file holds no image (no Pixel Data); its SOP class is {kind}{hint}",
            "no_pixel_data",
        )
    rows, columns = _int(_get(ds, "Rows")), _int(_get(ds, "Columns"))
    if not rows or not columns:
        raise RejectedFile(name, "the DICOM header lacks Rows/Columns, so its pixels cannot be read",
                           "invalid_header")
    frames = _frames(ds)
    samples = _int(_get(ds, "SamplesPerPixel")) or 1
    check_frame_pixels(name, rows, columns, frames, samples, limits)
    bits_allocated = _int(_get(ds, "BitsAllocated"))
    if "PixelData" in ds and not bits_allocated:
        raise RejectedFile(name, "the DICOM header lacks BitsAllocated, so its pixels cannot be read",
                           "invalid_header")
    photometric = clean_text(_get(ds, "PhotometricInterpretation")) or "MONOCHROME2"
    notes.extend(getattr(ds, "_radcase_notes", ()))
    colour = _is_colour(ds)

    stats = _verify_and_sample(ds, name, frames, colour)
    _check_presentable(ds, name)

    slope, intercept = _rescale(ds, 0)
    if _get(ds, "ModalityLUTSequence"):
        slope, intercept = 1.0, 0.0
        notes.append("a Modality LUT Sequence maps stored values to modality units")
    elif (frames > 1 and _get(ds, "PerFrameFunctionalGroupsSequence")
          and any(_rescale(ds, i) != (slope, intercept) for i in range(1, frames))):
        notes.append("rescale slope/intercept differ between frames; read_frame applies each frame's own")

    window_source = "percentile"
    center = _float(_attr(ds, "WindowCenter", "FrameVOILUTSequence"))
    width = _float(_attr(ds, "WindowWidth", "FrameVOILUTSequence"))
    if colour:
        center, width, window_source = 127.5, 255.0, "full_range"
    elif center is not None and width is not None and width > 0:
        window_source = "dicom"
    else:
        if center is not None or width is not None:
            notes.append("the file's window center/width is invalid; a percentile window is used")
        window = percentile_window(stats) if stats is not None else None
        center, width = window if window else (0.0, 1.0)

    spacing = _floats(_attr(ds, "PixelSpacing", "PixelMeasuresSequence"), 2)
    if spacing is None:
        spacing = _floats(_get(ds, "ImagerPixelSpacing"), 2)
        if spacing is not None:
            notes.append("pixel spacing taken from ImagerPixelSpacing (at the detector, not the patient)")
    orientation = _floats(_attr(ds, "ImageOrientationPatient", "PlaneOrientationSequence"), 6)
    position = _floats(_attr(ds, "ImagePositionPatient", "PlanePositionSequence"), 3)

    shape: tuple[int, ...] = (rows, columns)
    if frames > 1:
        shape = (frames, *shape)
    if samples > 1:
        shape = (*shape, samples)
    uid = _transfer_syntax(ds)
    if uid == DeflatedExplicitVRLittleEndian:
        notes.append("the data set is deflate-compressed")

    def uid_text(keyword: str) -> str | None:
        value = clean_text(_get(ds, keyword))
        return value or None

    return ImageInfo(
        kind=ImageKind.DICOM,
        original_name=name,
        rows=rows,
        columns=columns,
        frames=frames,
        study_instance_uid=uid_text("StudyInstanceUID"),
        series_instance_uid=uid_text("SeriesInstanceUID"),
        sop_instance_uid=uid_text("SOPInstanceUID"),
        sop_class_uid=sop_class or None,
        transfer_syntax_uid=str(uid),
        modality=clean_text(_get(ds, "Modality")),
        body_part=_body_part(ds),
        study_description=clean_text(_get(ds, "StudyDescription")),
        series_description=clean_text(_get(ds, "SeriesDescription")),
        series_number=_int(_get(ds, "SeriesNumber")),
        instance_number=_int(_get(ds, "InstanceNumber")),
        acquisition_date=_date(ds),
        shape=shape,
        volumes=1,
        pixel_spacing=spacing,  # type: ignore[arg-type]
        slice_thickness=_float(_attr(ds, "SliceThickness", "PixelMeasuresSequence")),
        spacing_between_slices=_float(_attr(ds, "SpacingBetweenSlices", "PixelMeasuresSequence")),
        image_orientation=orientation,
        image_position=position,  # type: ignore[arg-type]
        samples_per_pixel=samples,
        photometric_interpretation=photometric,
        bits_allocated=bits_allocated,
        bits_stored=_int(_get(ds, "BitsStored")) or bits_allocated,
        rescale_slope=slope,
        rescale_intercept=intercept,
        window_center=float(center),
        window_width=float(width),
        window_source=window_source,
        burned_in_annotation=clean_text(_get(ds, "BurnedInAnnotation")).upper() == "YES",
        is_secondary_capture=is_secondary_capture_uid(sop_class),
        warnings=tuple(notes),
    )


def is_secondary_capture_uid(sop_class_uid: str) -> bool:
    uid = (sop_class_uid or "").strip()
    return uid == SECONDARY_CAPTURE_ROOT or uid.startswith(SECONDARY_CAPTURE_ROOT + ".")


def dicom_frame_count(path: Path) -> int:
    path = Path(path)
    name = path.name
    with guard(name, "DICOM file"):
        return _frames(_cached_read(path, name))


def _cached_read(path: Path, name: str) -> Dataset:
    """The parsed data set, kept in FILE_CACHE: frame after frame is read without re-parsing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return FILE_CACHE.get_or_load(path, "dicom", path.stat().st_size * 2, lambda: _read(path, name))


def read_dicom_frame(path: Path, index: int = 0) -> np.ndarray:
    """Frame `index` in modality units (float32) or as uint8 RGB; see the module docstring."""
    path = Path(path)
    name = path.name
    with guard(name, "DICOM file"):
        ds = _cached_read(path, name)
        frames = _frames(ds)
    if not 0 <= index < frames:
        raise IndexError(f"frame {index} is out of range: {name} has {frames} frame(s)")
    with guard(name, "DICOM file"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not any(keyword in ds for keyword in PIXEL_KEYWORDS):
            raise RejectedFile(name, "this DICOM file holds no image (no Pixel Data)", "no_pixel_data")
        _decoder_or_reject(ds, name)
        return _present_frame(_frame_array(ds, index, name), ds, index)


def sanitize_dicom_preamble(src: Path, dst: Path) -> bool:
    """Copy `src` to `dst` with the 128-byte preamble zeroed; True if bytes changed."""
    src, dst = Path(src), Path(dst)
    name = src.name
    part10, preamble = _has_part10_prefix(src)
    if not part10:
        if not looks_like_raw_dicom(src):
            raise RejectedFile(name, "this is not a DICOM file", "not_an_image")
        if not (dst.exists() and os.path.samefile(src, dst)):
            shutil.copyfile(src, dst)
        return False
    changed = preamble != ZERO_PREAMBLE
    if dst.exists() and os.path.samefile(src, dst):
        if changed:
            with dst.open("r+b") as fh:
                fh.write(ZERO_PREAMBLE)
        return changed
    with src.open("rb") as fin, dst.open("wb") as fout:
        fin.seek(PREAMBLE_SIZE)
        fout.write(ZERO_PREAMBLE)
        shutil.copyfileobj(fin, fout, 1024 * 1024)
    return changed


__all__ = ["ZERO_PREAMBLE", "dicom_frame_count", "inspect_dicom", "is_secondary_capture_uid",
           "read_dicom_frame", "sanitize_dicom_preamble"]
