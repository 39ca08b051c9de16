"""Re-encode the input image so that only pixels leave the process.

The image is decoded with Pillow, its pixels are copied into a brand-new
image (which carries no `info`, EXIF, ICC profile, text or time chunk), it is
downscaled so its longer side is at most `max_px`, and it is written as a
plain PNG (IHDR, optional PLTE, IDAT, IEND). Anything burned into the pixels
themselves (an overlay with a name) is NOT removed: render the image from the
pixel data without overlays before calling the second opinion.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from ml.second_opinion.errors import SecondOpinionImageError

#: Container formats accepted as input.
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG"})
#: Refuse inputs larger than this many bytes / pixels before decoding them.
MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_INPUT_PIXELS = 64 * 1024 * 1024
MIN_SIDE_PX = 8


def _to_8bit(image: Image.Image) -> Image.Image:
    """Return an 'L' or 'RGB' image made from `image`'s pixels only."""
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        array = np.asarray(image, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            raise SecondOpinionImageError("the image has NaN or infinite pixels")
        low, high = float(array.min()), float(array.max())
        array = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
        return Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8), mode="L")
    if mode in ("1", "LA", "La"):
        return image.convert("L")
    # P, PA, RGBA, RGBa, CMYK, YCbCr, LAB, HSV ...: flatten to RGB.
    return image.convert("RGB")


def sanitize_image(data: bytes, max_px: int) -> bytes:
    """Decode `data` (PNG or JPEG) and return a metadata-free PNG whose
    longer side is at most `max_px`. Raises `SecondOpinionImageError`."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SecondOpinionImageError(f"image must be bytes, got {type(data).__name__}")
    raw = bytes(data)
    if not raw:
        raise SecondOpinionImageError("image is empty")
    if len(raw) > MAX_INPUT_BYTES:
        raise SecondOpinionImageError(f"image is larger than {MAX_INPUT_BYTES} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as opened:
                if opened.format not in ACCEPTED_FORMATS:
                    raise SecondOpinionImageError(
                        f"image format {opened.format!r} is not accepted (PNG or JPEG)"
                    )
                width, height = opened.size
                if width * height > MAX_INPUT_PIXELS:
                    raise SecondOpinionImageError(f"image has more than {MAX_INPUT_PIXELS} pixels")
                opened.load()
                pixels = _to_8bit(opened)
                # A fresh image from the raw pixel buffer: no info, no EXIF, no ICC.
                clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    except SecondOpinionImageError:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt input
        raise SecondOpinionImageError(f"image cannot be decoded: {type(exc).__name__}: {exc}") from exc

    if min(clean.size) < MIN_SIDE_PX:
        raise SecondOpinionImageError(f"image must be at least {MIN_SIDE_PX}x{MIN_SIDE_PX} pixels")
    if max(clean.size) > max_px:
        clean.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)

    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=False)
    return out.getvalue()
