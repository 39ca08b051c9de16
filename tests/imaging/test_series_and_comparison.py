"""Series listings, slice order, held images and exam comparison."""

from pathlib import Path

import numpy as np
import pydicom
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pydicom.data import get_testdata_file

from apps.cases import services as case_services
from apps.imaging.models import ImageInstance
from tests.imaging.conftest import t1_series_files, upload
from tests.support.factories import make_case, png_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.shared_data
def test_a_series_lists_its_slices_in_instance_order(case, referring_doctor, client_for):
    client = client_for(referring_doctor)
    files = t1_series_files()[:8]
    upload(client, case, list(reversed(files)), deidentify="false")
    series = client.get(f"/api/cases/{case.pk}/series/").json()
    assert len(series) == 1 and series[0]["instance_count"] == 8
    detail = client.get(f"/api/series/{series[0]['id']}/").json()
    numbers = [ImageInstance.objects.get(pk=s["image_id"]).instance_number
               for s in detail["slices"]]
    assert numbers == sorted(numbers)


def _burned_in_copy(tmp_path) -> Path:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.BurnedInAnnotation = "YES"
    out = tmp_path / "burned.dcm"
    ds.save_as(out)
    return out


def test_an_image_flagged_burned_in_is_held_for_review(case, referring_doctor, radiologist,
                                                       client_for, tmp_path):
    response = upload(client_for(referring_doctor), case, [_burned_in_copy(tmp_path)])
    assert response.status_code == 201
    assert response.json()["held_for_review"] == 1
    image = ImageInstance.objects.get()
    assert image.review_status == "held" and "BurnedInAnnotation" in image.review_reason
    refused = client_for(referring_doctor).get(f"/api/images/{image.pk}/render/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "held_for_review"


def test_a_radiologist_releases_a_held_image_and_then_everyone_may_see_it(
        case, referring_doctor, admin_user, client_for, tmp_path):
    upload(client_for(referring_doctor), case, [_burned_in_copy(tmp_path)])
    image = ImageInstance.objects.get()
    assert client_for(referring_doctor).post(f"/api/images/{image.pk}/release/").status_code \
        == 403
    response = client_for(admin_user).post(f"/api/images/{image.pk}/release/")
    assert response.status_code == 200
    assert response.json()["review_status"] == "released"
    assert client_for(referring_doctor).get(f"/api/images/{image.pk}/render/").status_code == 200


def test_comparing_an_image_with_itself_gives_ssim_one(case, referring_doctor, client_for):
    upload(client_for(referring_doctor), case, [Path(get_testdata_file("CT_small.dcm"))])
    image = ImageInstance.objects.get()
    body = client_for(referring_doctor).get("/api/images/compare/",
                                            {"a": image.pk, "b": image.pk}).json()
    assert body["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert body["mean_abs_diff"] == pytest.approx(0.0, abs=1e-6)


def test_comparing_a_current_and_a_prior_exam_of_one_patient(referring_doctor, client_for):
    client = client_for(referring_doctor)
    current = make_case(referring_doctor, mrn="SAME-1")
    prior = make_case(referring_doctor, mrn="SAME-1")
    upload(client, current, [SimpleUploadedFile("now.png", png_bytes(seed=1), "image/png")])
    upload(client, prior, [SimpleUploadedFile("then.png", png_bytes(seed=2), "image/png")])
    a = ImageInstance.objects.get(case=current)
    b = ImageInstance.objects.get(case=prior)
    body = client.get("/api/images/compare/", {"a": a.pk, "b": b.pk}).json()
    assert 0 < body["ssim"] < 1
    assert body["mean_abs_diff"] > 0
    diff = client.get(body["difference_map_url"])
    assert diff.status_code == 200 and diff["Content-Type"] == "image/png"


def test_images_of_different_patients_cannot_be_compared(referring_doctor, client_for):
    client = client_for(referring_doctor)
    one, two = make_case(referring_doctor), make_case(referring_doctor, name="Roe, R")
    upload(client, one, [SimpleUploadedFile("a.png", png_bytes(seed=1), "image/png")])
    upload(client, two, [SimpleUploadedFile("b.png", png_bytes(seed=2), "image/png")])
    a, b = (ImageInstance.objects.get(case=c) for c in (one, two))
    response = client.get("/api/images/compare/", {"a": a.pk, "b": b.pk})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "different_patients"


def test_images_cannot_be_added_once_the_report_is_signed(referring_doctor, radiologist,
                                                          client_for):
    case = make_case(referring_doctor)
    upload(client_for(referring_doctor), case,
           [SimpleUploadedFile("a.png", png_bytes(), "image/png")])
    case = case_services.case_submit(submitted_by=referring_doctor, case=case)
    case = case_services.case_claim(radiologist=radiologist, case=case)
    case = case_services.case_mark_reported(radiologist=radiologist, case=case)
    case = case_services.case_sign(radiologist=radiologist, case=case)
    response = upload(client_for(referring_doctor), case,
                      [SimpleUploadedFile("b.png", png_bytes(seed=3), "image/png")])
    assert response.status_code == 403
    assert np.asarray([ImageInstance.objects.count()]) == 1
