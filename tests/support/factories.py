"""Build patients, cases and images through the real services."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.cases import services as case_services
from apps.cases.models import Case
from apps.imaging import services as imaging_services

_mrn = itertools.count(1000)


def png_bytes(size: tuple[int, int] = (64, 64), seed: int = 0) -> bytes:
    """A small real greyscale PNG with some structure (a bright disc on noise)."""
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[:h, :w]
    disc = ((yy - h / 2) ** 2 + (xx - w / 2) ** 2) < (min(h, w) / 4) ** 2
    pixels = (rng.integers(0, 60, size) + disc * 150).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def make_case(referrer, *, name: str = "Doe, Jane", mrn: str | None = None,
              urgency: str = "routine", modality: str = "MR", body_part: str = "BRAIN",
              birth_date: dt.date | None = dt.date(1970, 5, 17)) -> Case:
    patient = case_services.patient_get_or_register(
        user=referrer, mrn=mrn or f"MRN{next(_mrn)}", name=name, birth_date=birth_date,
        sex="F")
    return case_services.case_create(created_by=referrer, patient=patient, modality=modality,
                                     body_part=body_part, urgency=urgency,
                                     clinical_question="Headache for three weeks; mass?")


def add_png(case: Case, user, *, seed: int = 0, name: str = "slice.png"):
    upload = SimpleUploadedFile(name, png_bytes(seed=seed), content_type="image/png")
    return imaging_services.images_ingest(case=case, uploaded_by=user, files=[upload])


def submitted_case(referrer, **kwargs) -> Case:
    case = make_case(referrer, **kwargs)
    add_png(case, referrer)
    return case_services.case_submit(submitted_by=referrer, case=case)


def in_review_case(referrer, radiologist, **kwargs) -> Case:
    return case_services.case_claim(radiologist=radiologist,
                                    case=submitted_case(referrer, **kwargs))
