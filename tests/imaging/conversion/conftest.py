"""Fixtures for the conversion tests (no Django, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.imaging.conversion.types import IngestLimits

from .helpers import pydicom_file


@pytest.fixture
def limits() -> IngestLimits:
    return IngestLimits()


@pytest.fixture
def ct_small(tmp_path) -> Path:
    """A private copy of pydicom's CT_small.dcm (safe to modify)."""
    dst = tmp_path / "CT_small.dcm"
    dst.write_bytes(pydicom_file("CT_small.dcm").read_bytes())
    return dst
