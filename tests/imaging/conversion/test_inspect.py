"""inspect / read_frame / frame_count: dispatch by content, errors only as RejectedFile,
and a package that stays outside Django."""

from __future__ import annotations

import ast
import gzip
import subprocess
import sys
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from apps.imaging.conversion.inspect import frame_count, inspect, read_frame
from apps.imaging.conversion.types import Axis, ImageKind, IngestLimits, RejectedFile

from .helpers import MULTIFRAME, NIFTI, REPO_ROOT, brain_tumour_files_by_magic, need, pydicom_file

PACKAGE = REPO_ROOT / "apps" / "imaging" / "conversion"
MY_MODULES = ["_common", "sniff", "archive", "dicom", "nifti", "raster", "inspect"]


def test_each_kind_is_dispatched_by_content_not_by_name(tmp_path):
    dicom = tmp_path / "a.png"
    dicom.write_bytes(pydicom_file("MR_small.dcm").read_bytes())
    nifti = tmp_path / "b.dcm"
    nifti.write_bytes(gzip.compress(nib.Nifti1Image(np.ones((3, 4, 5), np.int16), np.eye(4)).to_bytes()))
    png = tmp_path / "c.nii"
    Image.new("L", (6, 7), 9).save(png, format="PNG")
    assert inspect(dicom, "a.png").kind == ImageKind.DICOM
    assert inspect(nifti, "b.dcm").kind == ImageKind.NIFTI
    assert inspect(png, "c.nii").kind == ImageKind.PNG


def test_a_zip_is_not_inspected_but_sent_back_for_extraction(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.dcm", b"x")
    with pytest.raises(RejectedFile) as caught:
        inspect(path, "x.zip")
    assert caught.value.code == "is_archive"


@pytest.mark.parametrize(("content", "code"), [(b"", "empty_file"), (b"hello, world\n", "not_an_image")])
def test_empty_and_text_files_are_rejected_by_inspect(tmp_path, content, code):
    path = tmp_path / "scan.dcm"
    path.write_bytes(content)
    with pytest.raises(RejectedFile) as caught:
        inspect(path, "scan.dcm")
    assert caught.value.code == code


def test_a_file_larger_than_the_limit_is_rejected_before_it_is_read(tmp_path):
    path = tmp_path / "big.dcm"
    path.write_bytes(pydicom_file("CT_small.dcm").read_bytes())
    with pytest.raises(RejectedFile) as caught:
        inspect(path, "big.dcm", IngestLimits(max_file_bytes=1000))
    assert caught.value.code == "file_too_large"


@pytest.mark.shared_data
def test_read_frame_and_frame_count_dispatch_on_the_kind():
    multi = need(MULTIFRAME / "REAL_head_pydicom-data_emri_small_10frames.dcm")
    assert frame_count(multi, ImageKind.DICOM) == 10
    assert read_frame(multi, ImageKind.DICOM, 9).shape == (64, 64)
    volume = need(NIFTI / "functional.nii")
    assert frame_count(volume, ImageKind.NIFTI, Axis.CORONAL) == 21
    assert read_frame(volume, ImageKind.NIFTI, 2, Axis.AXIAL, volume=19).shape == (21, 17)
    png = brain_tumour_files_by_magic()["png"][0]
    assert frame_count(png, ImageKind.PNG) == 1
    assert read_frame(png, ImageKind.PNG).ndim in (2, 3)
    with pytest.raises(IndexError):
        read_frame(png, ImageKind.PNG, 1)


def _mutations(data: bytes, seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        mutated = bytearray(data)
        for _flip in range(int(rng.integers(1, 8))):
            position = int(rng.integers(0, len(mutated)))
            mutated[position] = int(rng.integers(0, 256))
        if rng.random() < 0.3:
            mutated = mutated[: int(rng.integers(1, len(mutated)))]
        yield bytes(mutated)


@pytest.mark.parametrize("source", ["dicom", "nifti", "png", "jpeg"])
def test_damaged_files_raise_nothing_but_rejected_file(tmp_path, source):
    if source == "dicom":
        data = pydicom_file("MR_small.dcm").read_bytes()
    elif source == "nifti":
        data = nib.Nifti1Image(np.arange(240, dtype=np.int16).reshape(4, 6, 10), np.eye(4)).to_bytes()
    else:
        path = tmp_path / "src"
        Image.fromarray((np.arange(1024) % 251).reshape(32, 32).astype(np.uint8)).save(path, format=source)
        data = path.read_bytes()
    limits = IngestLimits(max_decompressed_bytes=1024 * 1024)
    for number, mutated in enumerate(_mutations(data, seed=len(source), count=120)):
        path = tmp_path / f"m{number}"
        path.write_bytes(mutated)
        try:
            info = inspect(path, path.name, limits)
        except RejectedFile as rejection:
            assert rejection.code and rejection.message
            continue
        frame = read_frame(path, info.kind, info.frames - 1)
        assert frame.shape[:2] == (info.rows, info.columns)


def _imports(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", MY_MODULES)
def test_conversion_modules_import_no_django_and_no_other_app(module):
    imported = _imports(PACKAGE / f"{module}.py")
    forbidden = {name for name in imported
                 if name.split(".")[0] in {"django", "rest_framework", "celery", "apps", "ml", "config"}}
    assert forbidden == set()


def test_importing_the_entry_points_loads_no_django():
    code = ("import sys; import apps.imaging.conversion.inspect, apps.imaging.conversion.archive; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
