"""Imaging fixtures: real sample files from ../shared and pydicom's test data,
and a case owned by Rafael (referring doctor) and assigned to Rhea."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import shared_dir
from tests.support.factories import make_case


def samples() -> Path:
    return shared_dir() / "samples"


T1_SERIES = "dicom/brain_t1_mprage_series_trio_b17"


def sample(relative: str) -> Path:
    path = samples() / relative
    if not path.exists():
        pytest.skip(f"shared sample {relative} not found under {samples()} "
                    "(set RADCASE_SHARED_DIR)")
    return path


def t1_series_files() -> list[Path]:
    return sorted(p for p in sample(T1_SERIES).iterdir() if p.suffix.lower() not in (".md", ".txt"))


def stored_files() -> list[Path]:
    """Every file under MEDIA_ROOT (each test has its own)."""
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, case, paths_or_files, **extra):
    """POST files to the case through the API, as a browser would."""
    handles = []
    try:
        files = []
        for item in paths_or_files:
            if isinstance(item, Path):
                fh = open(item, "rb")  # noqa: SIM115
                handles.append(fh)
                files.append(fh)
            else:
                files.append(item)
        return client.post(f"/api/cases/{case.pk}/images/", {"files": files, **extra},
                           format="multipart")
    finally:
        for fh in handles:
            fh.close()


@pytest.fixture
def case(referring_doctor):
    """Rafael's draft case."""
    return make_case(referring_doctor)
