"""Demo patients, cases and images for `manage.py seed_demo`.

Uses real sample images from the shared data folder when it is there
(RADCASE_SHARED_DIR, default ../shared), and small generated images otherwise,
so `make demo` works on any machine. Runs once: demo cases are recognised by
their DEMO- MRNs.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.models import User
from apps.cases import services as case_services
from apps.cases.models import Patient

from . import services


def shared_dir() -> Path:
    return Path(os.environ.get("RADCASE_SHARED_DIR", settings.BASE_DIR.parent / "shared"))


def _generated_png(seed: int) -> SimpleUploadedFile:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:256, :256]
    head = ((yy - 128) ** 2 / 110**2 + (xx - 128) ** 2 / 90**2) < 1
    lesion = ((yy - 100 - seed * 3) ** 2 + (xx - 150) ** 2) < 15**2
    pixels = (head * 90 + lesion * 120 + rng.normal(0, 8, (256, 256))).clip(0, 255)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "L").save(buffer, "PNG")
    return SimpleUploadedFile(f"generated-{seed}.png", buffer.getvalue(), "image/png")


def _files(paths: list[Path]) -> list[File]:
    return [File(open(p, "rb"), name=p.name) for p in paths]


def _close(files: list[File]) -> None:
    for f in files:
        f.close()


def ensure_demo_cases() -> list[str]:
    """Create the demo cases once; return a line per case created."""
    if Patient.objects.filter(mrn__startswith="DEMO-").exists():
        return []
    referrer = User.objects.get(username="referrer")
    radiologist = User.objects.get(username="radiologist")
    samples = shared_dir() / "samples"
    dataset = shared_dir() / "datasets" / "brain-tumor-mri" / "Testing"
    t1 = sorted((samples / "dicom/brain_t1_mprage_series_trio_b17").glob("*.dcm"))
    nifti = samples / "nifti/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    jpgs = sorted((dataset / "glioma").glob("*.jpg"))[:3]

    plan = [
        ("DEMO-0001", "Garcia, Maria", dt.date(1958, 3, 14), "F", "stat",
         "Sudden onset aphasia. Mass or bleed?", t1, "submit"),
        ("DEMO-0002", "Okafor, Daniel", dt.date(1984, 11, 2), "M", "urgent",
         "Recurrent headaches; known lesion follow-up.", [nifti] if nifti.exists() else [],
         "claim"),
        ("DEMO-0003", "Lindqvist, Eva", dt.date(1971, 7, 29), "F", "routine",
         "Visual disturbance. Pituitary?", jpgs, "submit"),
        ("DEMO-0004", "Nakamura, Ken", dt.date(1990, 1, 5), "M", "routine",
         "Draft: images still to come.", [], "draft"),
    ]
    lines = []
    for index, (mrn, name, birth, sex, urgency, question, paths, goal) in enumerate(plan):
        patient = case_services.patient_get_or_register(user=referrer, mrn=mrn, name=name,
                                                        birth_date=birth, sex=sex)
        case = case_services.case_create(created_by=referrer, patient=patient, modality="MR",
                                         body_part="BRAIN", clinical_question=question,
                                         urgency=urgency)
        if goal != "draft":
            files = _files(paths) if paths else [_generated_png(index), _generated_png(index + 10)]
            try:
                report = services.images_ingest(case=case, uploaded_by=referrer, files=files)
            finally:
                _close(files)
            case = case_services.case_submit(submitted_by=referrer, case=case)
            if goal == "claim":
                case = case_services.case_claim(radiologist=radiologist, case=case)
            lines.append(f"{mrn} {urgency:<8} {case.status:<10} {len(report.created)} image(s)")
        else:
            lines.append(f"{mrn} {urgency:<8} {case.status:<10} no images")
    return lines
