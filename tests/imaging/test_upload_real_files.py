"""POST /api/cases/<id>/images/ with real DICOM, NIfTI and raster files."""

import io
import zipfile
from pathlib import Path

import pydicom
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pydicom.data import get_testdata_file

from apps.audit.models import AuditEvent
from apps.imaging.models import ImageInstance, Series, Study
from tests.imaging.conftest import T1_SERIES, sample, stored_files, t1_series_files, upload

pytestmark = pytest.mark.django_db


@pytest.mark.shared_data
def test_the_t1_mprage_series_ingests_as_one_series_of_176_slices(case, referring_doctor,
                                                                   client_for):
    response = upload(client_for(referring_doctor), case, t1_series_files(), deidentify="false")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["created"]) == 176
    assert len(body["series_ids"]) == 1
    series = Series.objects.get()
    assert series.modality == "MR"
    assert series.instances.count() == 176
    first = ImageInstance.objects.order_by("instance_number").first()
    source = pydicom.dcmread(t1_series_files()[0], stop_before_pixels=True)
    assert (first.rows, first.columns) == (256, 256)
    assert first.kind == "dicom"
    assert Study.objects.get().study_instance_uid == source.StudyInstanceUID
    assert first.pixel_spacing and first.slice_thickness
    assert first.image_orientation and len(first.image_orientation) == 6
    assert first.acquisition_date is not None
    assert AuditEvent.objects.filter(action="image.uploaded").count() == 176


@pytest.mark.shared_data
def test_after_deidentification_no_identifier_survives_anywhere_in_the_stored_bytes(
        case, referring_doctor, client_for):
    files = t1_series_files()
    originals = set()
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        originals |= {str(ds.PatientName), str(ds.PatientID), str(ds.get("PatientBirthDate", "")),
                      ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID,
                      str(ds.get("FrameOfReferenceUID", ""))}
    originals = {value for value in originals if len(value) >= 4}
    response = upload(client_for(referring_doctor), case, files, deidentify="true")
    assert response.status_code == 201
    stored = stored_files()
    assert len(stored) == 176
    blob = b"".join(p.read_bytes() for p in stored)
    leaked = [value for value in originals if value.encode() in blob]
    assert leaked == []
    image = ImageInstance.objects.first()
    ds = pydicom.dcmread(image.file.path, stop_before_pixels=True)
    assert ds.PatientIdentityRemoved == "YES"
    assert str(ds.PatientName) == case.pseudonym
    assert image.deidentified and image.deidentification_method
    assert image.display_name.startswith(case.pseudonym)  # file names can carry names too
    assert Series.objects.count() == 1 and Study.objects.count() == 1


@pytest.mark.shared_data
def test_the_same_series_uploaded_again_is_recognised_not_stored_twice(case, referring_doctor,
                                                                       client_for):
    client = client_for(referring_doctor)
    files = t1_series_files()[:5]
    assert upload(client, case, files).status_code == 201
    again = upload(client, case, files)
    assert again.status_code == 200
    assert len(again.json()["duplicates"]) == 5
    assert again.json()["created"] == []
    assert ImageInstance.objects.count() == 5
    assert len(stored_files()) == 5


@pytest.mark.shared_data
def test_a_zip_of_an_export_folder_ingests_and_names_the_skipped_text_files(case,
                                                                           referring_doctor,
                                                                           client_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(sample(T1_SERIES).iterdir())[:12]:
            zf.write(path, f"export/{path.name}")
        for name in ("SOURCE_README.md", "notes.txt"):
            zf.write(sample(T1_SERIES) / name, f"export/{name}")
    archive = SimpleUploadedFile("series.zip", buffer.getvalue(), "application/zip")
    response = upload(client_for(referring_doctor), case, [archive])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["created"]) >= 10
    assert any(name.endswith("notes.txt") for name in body["skipped"])


@pytest.mark.shared_data
def test_a_multiframe_dicom_is_one_instance_with_its_frames(case, referring_doctor, client_for):
    response = upload(client_for(referring_doctor), case,
                      [sample("dicom/multiframe/REAL_head_pydicom-data_emri_small_10frames.dcm")])
    assert response.status_code == 201
    image = ImageInstance.objects.get()
    assert image.frames == 10


@pytest.mark.parametrize("name", ["JPEG2000.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
                                  "SC_rgb_jpeg_dcmtk.dcm", "CT_small.dcm"])
def test_compressed_and_plain_transfer_syntaxes_ingest(case, referring_doctor, client_for, name):
    response = upload(client_for(referring_doctor), case, [Path(get_testdata_file(name))],
                      deidentify="false")
    assert response.status_code == 201, response.json()
    image = ImageInstance.objects.get()
    assert image.rows > 0 and image.window_width > 0


@pytest.mark.shared_data
def test_nifti_volumes_ingest_as_a_series_of_slices(case, referring_doctor, client_for):
    client = client_for(referring_doctor)
    response = upload(client, case, [sample("nifti/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"),
                                     sample("nifti/example4d.nii.gz")])
    assert response.status_code == 201, response.json()
    images = {i.display_name: i for i in ImageInstance.objects.all()}
    assert len(images) == 2 and Series.objects.count() == 2
    volumes = sorted(i.volumes for i in images.values())
    assert volumes[0] == 1 and volumes[1] > 1
    assert all(i.kind == "nifti" and i.frames > 1 and i.orientation_codes for i in images.values())


@pytest.mark.shared_data
def test_brain_mri_jpegs_and_a_png_named_jpg_ingest_by_content(case, referring_doctor,
                                                               client_for):
    from tests.conftest import shared_dir

    root = shared_dir() / "datasets" / "brain-tumor-mri" / "Training" / "glioma"
    if not root.is_dir():
        pytest.skip(f"brain-tumor-mri dataset not found under {shared_dir()}")
    png_named_jpg = next((p for p in sorted(root.parent.parent.rglob("*.jpg"))
                          if p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"), None)
    files: list[Path] = sorted(root.glob("*.jpg"))[:3]
    if png_named_jpg is not None:
        files.append(png_named_jpg)
    response = upload(client_for(referring_doctor), case, files)
    assert response.status_code == 201, response.json()
    kinds = sorted(ImageInstance.objects.values_list("kind", flat=True))
    assert kinds.count("jpeg") == 3
    if png_named_jpg is not None:
        assert "png" in kinds
    assert Series.objects.count() == len(files)  # each picture is a series of its own
