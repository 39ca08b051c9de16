"""PNG, JPEG, TIFF and BMP (Pillow): validation, metadata and pixels.

Public:

    inspect_raster(path: Path, original_name: str, limits: IngestLimits) -> ImageInfo
    read_raster_frame(path: Path) -> np.ndarray

`inspect_raster` opens the file (Pillow parses only the header), compares the
DECLARED width x height with `limits.max_pixels_per_frame` before anything is
decoded, and turns Pillow's own DecompressionBombError (raised at open for
images over 2 x Image.MAX_IMAGE_PIXELS, whichever limit is lower) into
"too_many_pixels" as well; Pillow's global MAX_IMAGE_PIXELS is not changed.
It then decodes the image ("truncated_image" for a file cut short,
"unreadable" for other decoder errors).

Modes: "1", "L", "LA", "I;16*", "I", "F" are grey; "P"/"PA" are expanded
through their palette; "RGB", "RGBA", "CMYK", "YCbCr", ... are converted to
RGB. Alpha is composited onto black. A colour image whose three channels are
equal (within 2 grey levels, to absorb lossy JPEG rounding) counts as grey.
ImageInfo: modality "OT", samples_per_pixel 1 and photometric "MONOCHROME2"
for grey, 3 and "RGB" for colour; bits 8 (16 for I;16, 32 for I and F). The
window is the full 0-255 range for 8-bit images (their values are already
display values: "full_range"), the 0.5-99.5th percentile for deeper ones
("percentile"). Only the first frame of a multi-page TIFF or animated image
is used (a warning says so).

`read_raster_frame` returns float32 rows x columns for grey images and uint8
rows x columns x 3 for colour ones, by the same rules.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._common import check_file_size, check_frame_pixels, guard, percentile_window
from .types import ImageInfo, ImageKind, IngestLimits, RejectedFile

GREY_TOLERANCE = 2
_FORMATS = {"PNG": ImageKind.PNG, "JPEG": ImageKind.JPEG, "MPO": ImageKind.JPEG, "TIFF": ImageKind.TIFF,
            "BMP": ImageKind.BMP}
_GREY_MODES = {"1", "L", "LA", "La", "I", "F", "I;16", "I;16L", "I;16B", "I;16N", "I;16S"}


def _open(path: Path, name: str, limits: IngestLimits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise RejectedFile(name, f"the image declares too many pixels ({exc})", "too_many_pixels") from exc
    except UnidentifiedImageError as exc:
        raise RejectedFile(name, "the image could not be identified as PNG, JPEG, TIFF or BMP",
                           "not_an_image") from exc
    width, height = image.size
    try:
        check_frame_pixels(name, height, width, 1, 1, limits)
    except RejectedFile:
        image.close()
        raise
    return image


def _decode(image: Image.Image, name: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
    except OSError as exc:
        text = str(exc)
        if "truncated" in text or "broken data stream" in text or "end of file" in text.lower():
            raise RejectedFile(name, "the image file is cut short: its pixel data ends early",
                               "truncated_image") from exc
        raise RejectedFile(name, f"the image could not be decoded ({text[:160]})", "unreadable") from exc
    except (SyntaxError, ValueError, EOFError) as exc:
        raise RejectedFile(name, f"the image could not be decoded ({str(exc)[:160]})", "unreadable") from exc


def _pixels(image: Image.Image) -> tuple[np.ndarray, bool, int]:
    """(array, is_colour, bits): float32 HxW for grey, uint8 HxWx3 for colour."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I;16S"):
        return np.asarray(image).astype(np.float32), False, 16
    if mode in ("I", "F"):
        return np.asarray(image).astype(np.float32), False, 32
    if mode == "1":
        image = image.convert("L")
        mode = "L"
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image.convert("RGBA")).astype(np.float32)
        alpha = rgba[..., 3:4] / 255.0
        rgb = np.rint(rgba[..., :3] * alpha).astype(np.uint8)
    elif mode == "L":
        return np.asarray(image).astype(np.float32), False, 8
    else:
        rgb = np.asarray(image.convert("RGB"))
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        return rgb[..., 0].astype(np.float32), False, 8
    spread = 0
    for row in range(0, rgb.shape[0], 512):  # in bands, to keep the int16 copies small
        band = rgb[row:row + 512].astype(np.int16)
        spread = max(spread, int(np.abs(band[..., 0] - band[..., 1]).max(initial=0)),
                     int(np.abs(band[..., 1] - band[..., 2]).max(initial=0)))
        if spread > GREY_TOLERANCE:
            break
    if spread <= GREY_TOLERANCE:
        return rgb.astype(np.float32).mean(axis=2).astype(np.float32), False, 8
    return np.ascontiguousarray(rgb, dtype=np.uint8), True, 8


def inspect_raster(path: Path, original_name: str, limits: IngestLimits) -> ImageInfo:
    """Validate a PNG/JPEG/TIFF/BMP fully and describe it; RejectedFile for bad input."""
    path = Path(path)
    name = original_name
    with guard(name, "image"):
        check_file_size(path, name, limits)
        image = _open(path, name, limits)
        with image:
            detected = _FORMATS.get(image.format or "")
            if detected is None:
                raise RejectedFile(name, f"{image.format} images are not accepted (PNG, JPEG, TIFF or BMP)",
                                   "not_an_image")
            notes: list[str] = []
            pages = getattr(image, "n_frames", 1) or 1
            if pages > 1:
                notes.append(f"the file holds {pages} frames/pages; only the first is used")
            _decode(image, name)
            array, colour, bits = _pixels(image)
        if colour or bits == 8:
            center, width, source = 127.5, 255.0, "full_range"
        else:
            window = percentile_window(array) or (0.0, 1.0)
            center, width, source = window[0], window[1], "percentile"
        height, width_px = array.shape[:2]
        return ImageInfo(
            kind=detected,
            original_name=name,
            rows=int(height),
            columns=int(width_px),
            frames=1,
            modality="OT",
            shape=tuple(int(n) for n in array.shape),
            samples_per_pixel=3 if colour else 1,
            photometric_interpretation="RGB" if colour else "MONOCHROME2",
            bits_allocated=bits,
            bits_stored=bits,
            window_center=float(center),
            window_width=float(width),
            window_source=source,
            warnings=tuple(notes),
        )


def read_raster_frame(path: Path) -> np.ndarray:
    """The image's pixels: float32 HxW (grey) or uint8 HxWx3 (colour)."""
    path = Path(path)
    name = path.name
    with guard(name, "image"):
        image = _open(path, name, IngestLimits())
        with image:
            _decode(image, name)
            return _pixels(image)[0]


# JPEG segments kept when metadata is stripped: APP0 (JFIF), APP2 (ICC colour
# profile) and APP14 (Adobe: says whether the data is YCbCr or RGB/CMYK).
# Every other APPn (EXIF, XMP, IPTC/Photoshop, vendor data) and COM goes.
_JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}
_JPEG_SOS, _JPEG_EOI, _JPEG_COM = 0xDA, 0xD9, 0xFE
RASTER_DEID_METHOD = "RadCase: raster metadata removed (EXIF, XMP, IPTC, comments, text chunks)"


def _strip_jpeg(data: bytes, name: str) -> bytes:
    """The JPEG with its metadata segments left out; the entropy-coded data
    from the first scan on is copied byte for byte (no re-encoding)."""
    if data[:2] != b"\xff\xd8":
        raise RejectedFile(name, "this is not a JPEG file", "not_an_image")
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise RejectedFile(name, "the JPEG's segment structure is damaged", "unreadable")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker in (_JPEG_SOS, _JPEG_EOI):
            out += data[i:]
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out += data[i:i + 2]
            i += 2
            continue
        end = i + 2 + int.from_bytes(data[i + 2:i + 4], "big")
        metadata = marker == _JPEG_COM or (0xE1 <= marker <= 0xEF and marker not in _JPEG_KEEP_APP)
        if not metadata:
            out += data[i:end]
        i = end
    raise RejectedFile(name, "the JPEG ends before its image data", "truncated_image")


def strip_raster_metadata(src: Path, dst: Path, kind: ImageKind) -> str:
    """Copy `src` to `dst` without metadata that may name a patient.

    JPEG: lossless, segment by segment. PNG, TIFF, BMP: the pixels are
    written again by Pillow (lossless formats) with none of the source's text
    chunks, EXIF, XMP or TIFF tags; only the first page of a multi-page TIFF
    is kept, the one RadCase shows. Returns the method text recorded with the
    stored file."""
    src, dst = Path(src), Path(dst)
    if kind == ImageKind.JPEG:
        dst.write_bytes(_strip_jpeg(src.read_bytes(), src.name))
        return RASTER_DEID_METHOD
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(src) as image:
            image.load()
            keep = {}
            if "transparency" in image.info and kind == ImageKind.PNG:
                keep["transparency"] = image.info["transparency"]
            # A fresh image object carries no `info` and no TIFF tag directory.
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
            if image.mode in ("P", "PA"):
                clean.putpalette(image.getpalette())
    clean.save(dst, format=kind.name, **keep)
    return RASTER_DEID_METHOD


__all__ = ["inspect_raster", "read_raster_frame", "strip_raster_metadata"]
