"""With de-identification on, NIfTI header text and extensions and raster
metadata never reach storage; with it off, the file is stored as uploaded."""

from __future__ import annotations

import io

import nibabel as nib
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.imaging.models import ImageInstance
from tests.imaging.conftest import stored_files, upload

pytestmark = pytest.mark.django_db

IDENTITY = b"Doe^Jane MRN-4711"


def _named_nifti() -> SimpleUploadedFile:
    image = nib.Nifti1Image(np.arange(8 * 8 * 4, dtype=np.int16).reshape(8, 8, 4), np.eye(4))
    image.header["descrip"] = IDENTITY
    image.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"Patient " + IDENTITY))
    return SimpleUploadedFile("head.nii", image.to_bytes())


def _named_jpeg() -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x013B] = IDENTITY.decode()  # Artist
    buffer = io.BytesIO()
    pixels = (np.indices((40, 40)).sum(0) * 3).astype(np.uint8)
    Image.fromarray(pixels).save(buffer, "JPEG", exif=exif, comment=IDENTITY)
    return SimpleUploadedFile("photo.jpg", buffer.getvalue())


def test_nifti_and_jpeg_metadata_naming_the_patient_are_not_stored(case, referring_doctor,
                                                                   client_for):
    client = client_for(referring_doctor)
    response = upload(client, case, [_named_nifti(), _named_jpeg()], deidentify="true")

    assert response.status_code == 201, response.json()
    stored = stored_files()
    assert len(stored) == 2
    for path in stored:
        assert b"Doe" not in path.read_bytes(), path.name
    images = ImageInstance.objects.filter(case=case)
    assert all(i.deidentified and i.deidentification_method for i in images)
    assert all(not i.series.description for i in images)
    for image in images:  # still readable where it is stored
        assert client.get(f"/api/images/{image.pk}/render/").status_code == 200


def test_without_deidentification_the_files_are_stored_as_uploaded(case, referring_doctor,
                                                                   client_for):
    nifti, jpeg = _named_nifti(), _named_jpeg()
    originals = {nifti.read(), jpeg.read()}
    nifti.seek(0)
    jpeg.seek(0)

    response = upload(client_for(referring_doctor), case, [nifti, jpeg], deidentify="false")

    assert response.status_code == 201, response.json()
    assert {p.read_bytes() for p in stored_files()} == originals
    assert not ImageInstance.objects.filter(case=case, deidentified=True).exists()
