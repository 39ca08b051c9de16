"""Pixels of stored images for the viewer: rendered PNGs, thumbnails and raw
16-bit slices, cached in the shared cache (Redis in production) by image
content, frame, axis and window, so scrolling through a series is fast.

Access checks and auditing happen before these are called (selectors).
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.core.cache import cache

from apps.core.errors import ServiceError

from .conversion.inspect import frame_count, read_frame
from .conversion.render import RawSlice, raw_slice_16bit, render_png, thumbnail_png
from .conversion.types import Axis, ImageKind
from .models import ImageInstance
from .storage import local_path

MAX_RENDER_SIZE = 2048


def _axis(image: ImageInstance, axis: str | None) -> Axis:
    if axis in (None, ""):
        return Axis.AXIAL
    try:
        chosen = Axis(axis)
    except ValueError as exc:
        raise ServiceError(f"Unknown axis '{axis}'; use axial, coronal or sagittal.",
                           code="invalid_axis") from exc
    if chosen != Axis.AXIAL and image.kind != ImageKind.NIFTI:
        raise ServiceError("Only NIfTI volumes can be sliced along another axis.",
                           code="invalid_axis")
    return chosen


def frames_along(image: ImageInstance, axis: Axis) -> int:
    if image.kind != ImageKind.NIFTI or axis == Axis.AXIAL:
        return image.frames
    key = f"frames:{image.sha256}:{axis}"
    count = cache.get(key)
    if count is None:
        with local_path(image.file.name) as path:
            count = frame_count(path, ImageKind(image.kind), axis)
        cache.set(key, count, settings.RADCASE_RENDER_CACHE_TTL_S)
    return count


def _check_frame(image: ImageInstance, frame: int, axis: Axis) -> None:
    available = frames_along(image, axis)
    if not 0 <= frame < available:
        raise ServiceError(f"Frame {frame} does not exist: this image has frames "
                           f"0 to {available - 1} along the {axis} axis.", code="invalid_frame")


def _check_volume(image: ImageInstance, volume: int) -> None:
    if not 0 <= volume < image.volumes:
        raise ServiceError(f"Volume {volume} does not exist: this image has volumes 0 to "
                           f"{image.volumes - 1}.", code="invalid_volume")


def frame_array(image: ImageInstance, *, frame: int, axis: Axis, volume: int = 0) -> np.ndarray:
    with local_path(image.file.name) as path:
        return read_frame(path, ImageKind(image.kind), index=frame, axis=axis, volume=volume)


def rendered_png(image: ImageInstance, *, frame: int = 0, axis: str | None = None,
                 volume: int = 0, window_center: float | None = None,
                 window_width: float | None = None, max_size: int | None = None) -> bytes:
    chosen = _axis(image, axis)
    _check_frame(image, frame, chosen)
    _check_volume(image, volume)
    wc = image.window_center if window_center is None else window_center
    ww = image.window_width if window_width is None else window_width
    if not ww > 0:
        raise ServiceError("The window width must be greater than 0.", code="invalid_window")
    if max_size is not None and not 16 <= max_size <= MAX_RENDER_SIZE:
        raise ServiceError(f"size must be between 16 and {MAX_RENDER_SIZE}.", code="invalid_size")
    key = f"png:{image.sha256}:{frame}:{chosen}:{volume}:{wc:.6g}:{ww:.6g}:{max_size}"
    png = cache.get(key)
    if png is None:
        pixels = frame_array(image, frame=frame, axis=chosen, volume=volume)
        png = render_png(pixels, window_center=wc, window_width=ww,
                         photometric=image.photometric_interpretation, max_size=max_size)
        cache.set(key, png, settings.RADCASE_RENDER_CACHE_TTL_S)
    return png


def thumbnail(image: ImageInstance, size: int = 128) -> bytes:
    """The middle frame at the default window."""
    key = f"thumb:{image.sha256}:{size}"
    png = cache.get(key)
    if png is None:
        pixels = frame_array(image, frame=image.frames // 2, axis=Axis.AXIAL)
        png = thumbnail_png(pixels, window_center=image.window_center,
                            window_width=image.window_width,
                            photometric=image.photometric_interpretation, size=size)
        cache.set(key, png, settings.RADCASE_RENDER_CACHE_TTL_S)
    return png


def raw_slice(image: ImageInstance, *, frame: int = 0, axis: str | None = None,
              volume: int = 0) -> RawSlice:
    chosen = _axis(image, axis)
    _check_frame(image, frame, chosen)
    _check_volume(image, volume)
    if image.samples_per_pixel != 1:
        raise ServiceError("Raw pixel values are available for greyscale images only; "
                           "use the rendered PNG for colour images.", code="colour_image")
    key = f"raw:{image.sha256}:{frame}:{chosen}:{volume}"
    raw = cache.get(key)
    if raw is None:
        raw = raw_slice_16bit(frame_array(image, frame=frame, axis=chosen, volume=volume))
        cache.set(key, raw, settings.RADCASE_RENDER_CACHE_TTL_S)
    return raw


def comparison(image_a: ImageInstance, image_b: ImageInstance, *, frame_a: int = 0,
               frame_b: int = 0):
    """SSIM, mean absolute difference and a difference map of two frames of
    the same patient (a current and a prior exam), cached like renders."""
    from .conversion.compare import compare_frames

    if image_a.case.patient_id != image_b.case.patient_id:
        raise ServiceError("The two images belong to different patients; only exams of the "
                           "same patient can be compared.", code="different_patients")
    for image, frame in ((image_a, frame_a), (image_b, frame_b)):
        _check_frame(image, frame, Axis.AXIAL)
    key = f"cmp:{image_a.sha256}:{frame_a}:{image_b.sha256}:{frame_b}"
    result = cache.get(key)
    if result is None:
        result = compare_frames(
            frame_array(image_a, frame=frame_a, axis=Axis.AXIAL),
            frame_array(image_b, frame=frame_b, axis=Axis.AXIAL),
            window_a=(image_a.window_center, image_a.window_width),
            window_b=(image_b.window_center, image_b.window_width))
        cache.set(key, result, settings.RADCASE_RENDER_CACHE_TTL_S)
    return result
