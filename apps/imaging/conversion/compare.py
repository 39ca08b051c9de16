"""Comparing two images of the same patient (e.g. a prior and a current exam):
SSIM, mean absolute difference, and a colour-mapped difference map.

Both frames are first put on a common 0..1 intensity scale, because two exams
rarely share units (MR signal is arbitrary; CT is in HU but windows differ):
- a grey frame with a window (center, width) -> (x - (c - w/2)) / w, clipped
  to 0..1 (what a reader sees through that window);
- a grey frame without one -> its 1st..99th percentile range mapped to 0..1,
  clipped (robust to a few extreme pixels);
- a colour frame (HxWx3 uint8) -> luma (ITU-R BT.601: 0.299 R + 0.587 G +
  0.114 B) / 255.

When the shapes differ, b is resampled to a's shape (bilinear, anti-aliased
when shrinking). There is no registration: the images are assumed to show
the same field of view, so a shifted or rotated follow-up scores as different.
Nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.metrics import structural_similarity
from skimage.transform import resize

from .render import encode_png

SSIM_WINDOW = 7  # skimage's default; smaller images use the largest odd size that fits
DIFF_FULL_SCALE_MIN = 0.05  # the difference map is never stretched beyond 0..0.05


@dataclass(frozen=True)
class ComparisonResult:
    ssim: float  # structural similarity, -1..1 (1: identical), data range 1
    mean_abs_diff: float  # mean |a - b| on the normalised 0..1 scale
    shape: tuple[int, int]  # (rows, columns) compared: a's shape
    b_resampled: bool  # b was resized to a's shape
    normalisation_a: str  # "window", "percentile" or "colour"
    normalisation_b: str
    difference_png: bytes  # |a - b| colour-mapped (black -> red -> yellow -> white), a's shape
    difference_full_scale: float  # the |a - b| shown as white (larger values saturate)


def _normalise(frame: np.ndarray, window: tuple[float, float] | None) -> tuple[np.ndarray, str]:
    array = np.asarray(frame)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 3 and array.shape[2] in (3, 4):
        rgb = array[:, :, :3].astype(np.float32)
        luma = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        scale = 255.0 if array.dtype == np.uint8 or float(rgb.max(initial=0)) > 1.0 else 1.0
        return np.clip(luma / scale, 0.0, 1.0), "colour"
    if array.ndim != 2:
        raise ValueError(f"expected a 2D grey or HxWx3 colour frame, got shape {array.shape}")
    x = array.astype(np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        fill = float(x[finite].min()) if finite.any() else 0.0
        x = np.where(finite, x, np.float32(fill))  # NaN/inf count as the darkest value
    if window is not None:
        center, width = float(window[0]), float(window[1])
        if not width > 0:
            raise ValueError("window width must be positive")
        low, span, how = center - width / 2.0, width, "window"
    else:
        low, high = (float(v) for v in np.percentile(x, [1.0, 99.0]))
        if high <= low:  # (nearly) constant image: use the full range instead
            low, high = float(x.min()), float(x.max())
        span, how = (high - low) or 1.0, "percentile"
    return np.clip((x - np.float32(low)) / np.float32(span), 0.0, 1.0), how


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    smallest = min(a.shape)
    window = min(SSIM_WINDOW, smallest if smallest % 2 else smallest - 1)
    if window < 3:
        raise ValueError(f"images of {a.shape} are too small to compare (need at least 3x3 pixels)")
    return float(structural_similarity(a, b, data_range=1.0, win_size=window))


# Black -> dark red -> red -> yellow -> white, interpolated to 256 entries.
_ANCHORS = np.array([[0, 0, 0], [128, 0, 0], [255, 32, 0], [255, 200, 0], [255, 255, 255]], dtype=np.float32)
_LUT = np.stack(
    [np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_ANCHORS)), _ANCHORS[:, c]) for c in range(3)],
    axis=1,
).round().astype(np.uint8)


def difference_map(diff: np.ndarray, full_scale: float) -> np.ndarray:
    """|a - b| (0..1) as an HxWx3 uint8 image: 0 black, >= full_scale white."""
    index = np.clip(diff / np.float32(full_scale) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return _LUT[index]


def compare_frames(a: np.ndarray, b: np.ndarray, *, window_a: tuple[float, float] | None = None,
                   window_b: tuple[float, float] | None = None) -> ComparisonResult:
    """Compare frame b with frame a (see the module docstring for the scale).

    `window_a` / `window_b`: (center, width) in each frame's modality units, or
    None for the 1st-99th percentile range. The difference map is stretched so
    that the 99th percentile of |a - b| is white, but never beyond a full scale
    of DIFF_FULL_SCALE_MIN (so near-identical images stay dark); the full scale
    used is returned.
    """
    norm_a, how_a = _normalise(a, window_a)
    norm_b, how_b = _normalise(b, window_b)
    resampled = norm_b.shape != norm_a.shape
    if resampled:
        shrinking = norm_b.shape[0] > norm_a.shape[0] or norm_b.shape[1] > norm_a.shape[1]
        norm_b = resize(norm_b, norm_a.shape, order=1, anti_aliasing=shrinking,
                        preserve_range=True).astype(np.float32)
    ssim = _ssim(norm_a, norm_b)
    diff = np.abs(norm_a - norm_b)
    full_scale = max(float(np.percentile(diff, 99.0)), DIFF_FULL_SCALE_MIN)
    return ComparisonResult(
        ssim=ssim,
        mean_abs_diff=float(diff.mean()),
        shape=(int(norm_a.shape[0]), int(norm_a.shape[1])),
        b_resampled=resampled,
        normalisation_a=how_a,
        normalisation_b=how_b,
        difference_png=encode_png(difference_map(diff, full_scale)),
        difference_full_scale=full_scale,
    )
