"""Reading images and folder-per-class datasets.

Formats are detected from the file's content by Pillow (a few `.jpg` files in
the shared dataset are PNG), and every mode (RGB, RGBA, L, P, I;16, F) is
reduced to one grey channel, because MRI slices are grey even when stored as
RGB and the model takes one channel.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ml.errors import DatasetError, InvalidInputError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".gif", ".webp"})


@dataclass(frozen=True)
class Sample:
    """One labelled file of a folder-per-class dataset."""

    path: Path
    label: int
    class_name: str
    split: str

    @property
    def relpath(self) -> str:
        """`<split>/<class>/<file>`, stable across machines (used in reports)."""
        return f"{self.split}/{self.class_name}/{self.path.name}"


def pil_to_grey(img: Image.Image) -> np.ndarray:
    """Convert any Pillow image to a 2-D array, keeping 16-bit/float depth.

    RGBA is composited onto black (transparent background = air), palette
    images are expanded first.
    """
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return np.asarray(img, dtype=np.float32)
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", img.size, (0, 0, 0, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    return np.asarray(img.convert("L"), dtype=np.uint8)


def load_image(path: str | Path) -> np.ndarray:
    """Load an image file as a 2-D grey array (format detected from content)."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            return pil_to_grey(img)
    except FileNotFoundError as exc:
        raise InvalidInputError(f"image file not found: {path}") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidInputError(f"cannot decode image {path}: {exc}") from exc


def image_format(path: str | Path) -> str | None:
    """The format Pillow detects from the file's bytes (e.g. 'PNG', 'JPEG')."""
    with Image.open(path) as img:
        return img.format


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (exact-duplicate detection, data checksum)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def discover_classes(root: str | Path, split: str) -> list[str]:
    """Sorted class folder names under `<root>/<split>`."""
    folder = Path(root) / split
    if not folder.is_dir():
        raise DatasetError(f"dataset split folder not found: {folder}")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"no class folders under {folder}")
    return classes


def list_samples(root: str | Path, split: str, class_names: list[str] | None = None) -> list[Sample]:
    """All image files of `<root>/<split>/<class>/*`, sorted for determinism.

    `class_names` fixes the label order (so Testing uses Training's order);
    a class folder missing from the split is an error rather than a silent
    label shift.
    """
    root = Path(root)
    names = class_names or discover_classes(root, split)
    samples: list[Sample] = []
    for label, name in enumerate(names):
        folder = root / split / name
        if not folder.is_dir():
            raise DatasetError(f"class folder missing: {folder}")
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        samples.extend(Sample(p, label, name, split) for p in files)
    if not samples:
        raise DatasetError(f"no images under {root / split}")
    return samples
