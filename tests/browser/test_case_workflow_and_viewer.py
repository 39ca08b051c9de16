"""A case's way through the web UI in a real browser: a referring doctor
creates it and uploads a real DICOM file, a radiologist finds it on the
worklist, claims it and reads it in the viewer."""

import pytest
from pydicom.data import get_testdata_file

from apps.cases.models import Case, Status
from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CT_SMALL = get_testdata_file("CT_small.dcm")  # ships inside the pydicom wheel


def _natural_width(page) -> int:
    return page.eval_on_selector("#viewer-image", "img => img.complete ? img.naturalWidth : 0")


def test_a_referring_doctor_creates_a_case_uploads_a_dicom_and_submits_it(page, referring_doctor):
    sign_in(page, "rafael", PASSWORD)
    page.goto("/cases/new/")
    page.fill("#id_mrn", "BRW-100")
    page.fill("#id_name", "Browser, Bea")
    page.select_option("#id_urgency", "urgent")
    page.fill("#id_clinical_question", "Headache for two weeks.")
    page.get_by_test_id("case-create").click()
    page.wait_for_url("**/cases/*/")
    assert "Draft" in page.get_by_test_id("case-status").inner_text()

    page.get_by_test_id("upload-files").set_input_files(CT_SMALL)
    page.get_by_test_id("upload-submit").click()
    page.wait_for_selector("[data-testid^=series-]")
    assert "1 image" in page.get_by_test_id("message").first.inner_text()

    page.get_by_test_id("case-submit").click()
    page.wait_for_load_state()
    assert "Submitted" in page.get_by_test_id("case-status").inner_text()
    case = Case.objects.get(patient__mrn="BRW-100")
    assert case.status == Status.SUBMITTED and case.images.count() == 1


def test_a_radiologist_claims_a_case_from_the_worklist_and_windows_the_image(
        page, referring_doctor, radiologist, client_for):
    client = client_for(referring_doctor)
    case_id = client.post("/api/cases/", {"patient": {"mrn": "BRW-200", "name": "Browser, Ben"},
                                          "modality": "CT", "body_part": "CHEST",
                                          "urgency": "stat"}, format="json").json()["id"]
    with open(CT_SMALL, "rb") as f:
        assert client.post(f"/api/cases/{case_id}/images/", {"files": [f]},
                           format="multipart").status_code == 201
    assert client.post(f"/api/cases/{case_id}/submit/").status_code == 200

    sign_in(page, "rhea", PASSWORD)
    page.goto("/worklist/")
    row = page.get_by_test_id("worklist-row").filter(has_text="BRW-200")
    assert "stat" in row.inner_text().lower()
    row.get_by_role("link").click()
    page.get_by_test_id("case-claim").click()
    page.wait_for_load_state()
    assert "In review" in page.get_by_test_id("case-status").inner_text()

    page.locator("button.series").first.click()
    page.wait_for_function("document.getElementById('viewer-image').src.includes('/render/')")
    page.wait_for_function("document.getElementById('viewer-image').naturalWidth > 0")
    assert _natural_width(page) > 0
    first_src = page.eval_on_selector("#viewer-image", "img => img.src")

    page.get_by_test_id("viewer-wc").fill("40")
    page.get_by_test_id("viewer-ww").fill("400")
    page.get_by_test_id("viewer-ww").dispatch_event("change")
    page.wait_for_function(
        "document.getElementById('viewer-image').src.includes('ww=400')")
    second_src = page.eval_on_selector("#viewer-image", "img => img.src")
    assert second_src != first_src and "wc=40" in second_src
    page.wait_for_function("document.getElementById('viewer-image').naturalWidth > 0")
