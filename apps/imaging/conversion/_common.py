"""Helpers shared by the readers of this package (private: import the public
functions from `sniff`, `archive`, `dicom`, `nifti`, `raster` and `inspect`).

- `guard(name)`: a context manager that lets `RejectedFile` through and turns
  every other exception (a parser's IndexError, struct.error, MemoryError, a
  Rust decoder's PanicException, which is a BaseException) into
  `RejectedFile(code="unreadable")` with a generic but clear message.
- `check_file_size(path, name, limits)`: empty files and files over
  `limits.max_file_bytes` are rejected before anything reads them.
- `percentile_window(samples)`: the default display window when the file
  names none: 0.5th to 99.5th percentile of the (rescaled) pixel values.
- `subsample(array, max_count)`: an evenly strided flat sample of an array,
  so statistics on big volumes stay cheap.
- `FILE_CACHE`: a small least-recently-used cache, bounded in bytes, of what
  `read_frame` parsed or inflated (a DICOM data set, a .nii.gz volume), keyed
  by path, size and modification time, so reading frame after frame of one
  file does not parse or inflate it again each time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .types import IngestLimits, RejectedFile

logger = logging.getLogger(__name__)

PERCENTILE_LOW = 0.5
PERCENTILE_HIGH = 99.5
STAT_SAMPLES = 1_000_000  # pixel values kept for window percentiles


def human_bytes(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if abs(count) < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"  # pragma: no cover


def is_fatal(exc: BaseException) -> bool:
    """Exceptions that must never be turned into a rejection (Ctrl-C, exit, generator close)."""
    return isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


@contextlib.contextmanager
def guard(name: str, what: str = "file") -> Iterator[None]:
    """Turn any unexpected exception into RejectedFile("unreadable")."""
    try:
        yield
    except RejectedFile:
        raise
    except MemoryError as exc:
        raise RejectedFile(name, f"the {what} is too large to read in memory", "too_many_pixels") from exc
    except BaseException as exc:  # native decoders may raise BaseException (a Rust panic, via pyo3)
        if is_fatal(exc):
            raise
        logger.info("unreadable %s %r: %s: %s", what, name, type(exc).__name__, exc)
        raise RejectedFile(
            name,
            f"the {what} could not be read; it may be damaged or in an unsupported variant "
            f"({type(exc).__name__})",
            "unreadable",
        ) from exc


def check_file_size(path: Path, name: str, limits: IngestLimits) -> int:
    size = Path(path).stat().st_size
    if size == 0:
        raise RejectedFile(name, "the file is empty (0 bytes)", "empty_file")
    if size > limits.max_file_bytes:
        raise RejectedFile(
            name,
            f"the file is {human_bytes(size)}, over the limit of {human_bytes(limits.max_file_bytes)}",
            "file_too_large",
        )
    return size


def check_frame_pixels(name: str, rows: int, columns: int, frames: int, samples: int,
                       limits: IngestLimits) -> None:
    """Declared sizes against the limits, before any pixel is decoded."""
    if rows <= 0 or columns <= 0 or frames <= 0 or samples <= 0:
        raise RejectedFile(
            name, f"the header declares an empty image ({rows} x {columns}, {frames} frame(s))",
            "invalid_header",
        )
    per_frame = rows * columns
    if per_frame > limits.max_pixels_per_frame:
        raise RejectedFile(
            name,
            f"the image declares {columns} x {rows} = {per_frame:,} pixels per frame, over the limit of "
            f"{limits.max_pixels_per_frame:,}",
            "too_many_pixels",
        )
    total = per_frame * frames
    if total > limits.max_voxels_per_file:
        raise RejectedFile(
            name,
            f"the image declares {total:,} pixels in all ({frames} frames of {columns} x {rows}), over the "
            f"limit of {limits.max_voxels_per_file:,}",
            "too_many_pixels",
        )


def subsample(array: np.ndarray, max_count: int = STAT_SAMPLES) -> np.ndarray:
    flat = np.asarray(array).reshape(-1)
    if flat.size <= max_count:
        return flat
    step = -(-flat.size // max_count)
    return flat[::step]


def percentile_window(samples: np.ndarray) -> tuple[float, float] | None:
    """(center, width) from the 0.5th-99.5th percentiles; None if no finite value."""
    values = np.asarray(samples, dtype=np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = np.percentile(values, [PERCENTILE_LOW, PERCENTILE_HIGH])
    if high <= low:  # flat image: widen to something displayable
        low, high = float(values.min()), float(values.max())
    width = float(high - low) if high > low else 1.0
    return float((low + high) / 2.0), width


def clean_text(value: object) -> str:
    if value is None:
        return ""
    text = str(value).replace("\x00", "").strip()
    return "".join(ch for ch in text if ch.isprintable())[:256]


class ByteBudgetCache:
    """Least-recently-used values, each with a cost in bytes, within `budget` bytes in all."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def get_or_load(self, path: Path, kind: str, cost: int, loader: Callable[[], Any]) -> Any:
        stat = os.stat(path)
        key = (os.path.realpath(path), kind, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit[0]
        value = loader()
        if cost <= self.budget:
            with self._lock:
                if key not in self._items:
                    self._items[key] = (value, cost)
                    self._used += cost
                while self._used > self.budget and self._items:
                    _key, (_value, old_cost) = self._items.popitem(last=False)
                    self._used -= old_cost
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0


FILE_CACHE = ByteBudgetCache(256 * 1024 * 1024)
