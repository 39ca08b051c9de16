"""Benchmark: ingest of the 176-slice T1 MPRAGE series through the API, and
rendering of a 512×512 slice.

Prints, in one run:
- instances per second through POST /api/cases/<id>/images/ (de-identification
  on and off), against bare `pydicom.dcmread` of the same files as the ceiling,
  and their ratio;
- median milliseconds to render a 512×512 slice uncached and cached.

Runs against PostgreSQL when DATABASE_URL points at one (a throw-away test
database is created and dropped), otherwise SQLite. Needs ../shared (or
RADCASE_SHARED_DIR). Usage: .venv/bin/python bench/imaging_ingest.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main() -> int:
    import django

    django.setup()
    import numpy as np
    import pydicom
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment
    from pydicom.data import get_testdata_file
    from rest_framework.test import APIClient
    from skimage.transform import resize

    shared = Path(os.environ.get("RADCASE_SHARED_DIR", ROOT.parent / "shared"))
    series_dir = shared / "samples/dicom/brain_t1_mprage_series_trio_b17"
    files = sorted(series_dir.glob("*.dcm"))
    if len(files) != 176:
        print(f"SKIP: the 176-slice T1 series was not found under {series_dir}")
        return 0

    setup_test_environment()
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="radcase-bench-media-"))
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": settings.REDIS_URL,
    }} if settings.REDIS_URL else settings.CACHES
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from apps.accounts.services import user_create
        from apps.imaging import rendering
        from apps.imaging.models import ImageInstance
        from tests.support.factories import make_case

        print(f"database: {connection.vendor}; cache: "
              f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; "
              f"files: {len(files)} ({sum(f.stat().st_size for f in files) / 2**20:.1f} MB)")
        referrer = user_create(created_by=None, username="bench", password="Bench-Password-2026",
                               roles=["referring_doctor"])
        client = APIClient()
        client.force_authenticate(referrer)

        started = time.perf_counter()
        for path in files:
            pydicom.dcmread(path).pixel_array  # noqa: B018 (decode, as ingest does)
        ceiling = len(files) / (time.perf_counter() - started)

        rates = {}
        for deidentify in ("false", "true"):
            case = make_case(referrer, mrn=f"BENCH-{deidentify}")
            handles = [open(p, "rb") for p in files]  # noqa: SIM115
            started = time.perf_counter()
            response = client.post(f"/api/cases/{case.pk}/images/",
                                   {"files": handles, "deidentify": deidentify},
                                   format="multipart")
            elapsed = time.perf_counter() - started
            for fh in handles:
                fh.close()
            assert response.status_code == 201, response.content[:500]
            rates[deidentify] = len(files) / elapsed

        print(f"\n{'ingest (176 instances)':<44}{'instances/s':>12}{'vs ceiling':>12}")
        print(f"{'bare pydicom.dcmread + decode (ceiling)':<44}{ceiling:>12.1f}{'1.00':>12}")
        for deidentify, rate in rates.items():
            label = f"API upload, de-identify={deidentify}"
            print(f"{label:<44}{rate:>12.1f}{rate / ceiling:>12.2f}")

        # Render: a 512×512 16-bit CT slice (CT_small upsampled) through the same code.
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        big = resize(ds.pixel_array.astype(np.float32), (512, 512), preserve_range=True)
        ds.PixelData = big.astype(ds.pixel_array.dtype).tobytes()
        ds.Rows = ds.Columns = 512
        tmp = Path(tempfile.mkdtemp()) / "ct512.dcm"
        ds.save_as(tmp)
        case = make_case(referrer, mrn="BENCH-render")
        with open(tmp, "rb") as fh:
            client.post(f"/api/cases/{case.pk}/images/", {"files": [fh]}, format="multipart")
        image = ImageInstance.objects.get(case=case)
        url = f"/api/images/{image.pk}/render/"

        def timed(params, n=30) -> float:
            samples = []
            for _ in range(n):
                t = time.perf_counter()
                assert client.get(url, params).status_code == 200
                samples.append((time.perf_counter() - t) * 1000)
            return statistics.median(samples)

        uncached = []
        for i in range(30):  # a new window each time: never in the cache
            t = time.perf_counter()
            client.get(url, {"wc": 40 + i, "ww": 400})
            uncached.append((time.perf_counter() - t) * 1000)
        client.get(url, {"wc": 40, "ww": 350})
        cached = timed({"wc": 40, "ww": 350})
        direct = []
        for i in range(30):
            t = time.perf_counter()
            rendering.rendered_png(image, window_center=1000 + i, window_width=400)
            direct.append((time.perf_counter() - t) * 1000)
        print(f"\n{'render 512×512 slice (API, audited)':<44}{'median ms':>12}")
        print(f"{'uncached':<44}{statistics.median(uncached):>12.2f}")
        print(f"{'cached':<44}{cached:>12.2f}")
        print(f"{'uncached, render function alone':<44}{statistics.median(direct):>12.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
