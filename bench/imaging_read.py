"""Time the conversion package on the shared samples: inspect every file, then
read every frame (DICOM) or every slice on all three axes (NIfTI).

    .venv/bin/python bench/imaging_read.py [--repeat N]

Reads RADCASE_SHARED_DIR (default ../shared). Prints one line per group:
files, frames read, seconds, and files/s and frames/s. No Django.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from apps.imaging.conversion.inspect import frame_count, inspect, read_frame  # noqa: E402
from apps.imaging.conversion.types import Axis, ImageKind, RejectedFile  # noqa: E402


def _groups(samples: Path) -> dict[str, list[Path]]:
    dicom = samples / "dicom"
    return {
        "T1 series (176 DICOM)": sorted((dicom / "brain_t1_mprage_series_trio_b17").glob("*.dcm")),
        "multi-frame DICOM": sorted((dicom / "multiframe").glob("*.dcm")),
        "NIfTI": sorted((samples / "nifti").glob("*.nii*")),
    }


def _run(files: list[Path]) -> tuple[int, float]:
    frames = 0
    started = time.perf_counter()
    for path in files:
        try:
            info = inspect(path, path.name)
        except RejectedFile as rejection:
            print(f"  rejected {path.name}: {rejection.message}")
            continue
        axes = [Axis.AXIAL, Axis.CORONAL, Axis.SAGITTAL] if info.kind == ImageKind.NIFTI else [Axis.AXIAL]
        for axis in axes:
            for index in range(frame_count(path, info.kind, axis)):
                read_frame(path, info.kind, index, axis)
                frames += 1
    return frames, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    samples = Path(os.environ.get("RADCASE_SHARED_DIR", REPO_ROOT.parent / "shared")) / "samples"
    if not samples.is_dir():
        print(f"no shared samples at {samples} (set RADCASE_SHARED_DIR)")
        return 1
    for label, files in _groups(samples).items():
        best = None
        for _ in range(args.repeat):
            frames, seconds = _run(files)
            best = seconds if best is None else min(best, seconds)
        print(f"{label:28s} files={len(files):4d} frames={frames:5d} seconds={best:7.2f} "
              f"files/s={len(files) / best:8.1f} frames/s={frames / best:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
