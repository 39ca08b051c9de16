"""Where image files live: Django's storage API (file system or S3-compatible),
under generated names. Nothing here is reachable at a public URL."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from .conversion.types import ImageKind

EXTENSIONS = {
    ImageKind.DICOM: ".dcm", ImageKind.NIFTI: ".nii", ImageKind.PNG: ".png",
    ImageKind.JPEG: ".jpg", ImageKind.TIFF: ".tif", ImageKind.BMP: ".bmp",
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def generated_name(case_id: int, kind: ImageKind, gzipped: bool = False) -> str:
    suffix = EXTENSIONS[kind] + (".gz" if gzipped else "")
    return f"images/{case_id}/{uuid.uuid4().hex}{suffix}"


def store_file(path: Path, name: str) -> str:
    """Save a local file under `name`; returns the name storage actually used."""
    with open(path, "rb") as fh:
        return default_storage.save(name, File(fh))


def delete_quietly(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


@contextmanager
def local_path(name: str) -> Iterator[Path]:
    """A local file path for a stored file: the file itself on the file system,
    a temporary copy for remote storage (pydicom and nibabel need paths)."""
    try:
        direct = Path(default_storage.path(name))
    except NotImplementedError:
        direct = None
    if direct is not None:
        yield direct
        return
    suffix = "".join(Path(name).suffixes)
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with default_storage.open(name, "rb") as src:
            shutil.copyfileobj(src, tmp)
        tmp.flush()
        yield Path(tmp.name)
