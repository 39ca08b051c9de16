"""POST /api/cases/ — a referring doctor opens a case."""

import pytest

from apps.audit.models import AuditEvent
from apps.cases.models import Case, Patient
from tests.support.factories import make_case

URL = "/api/cases/"
NEW = {"patient": {"mrn": "H-123", "name": "Doe, John", "birth_date": "1961-02-03", "sex": "M"},
       "modality": "MR", "body_part": "brain", "clinical_question": "Seizure. Lesion?",
       "urgency": "urgent"}


@pytest.mark.django_db
def test_a_referring_doctor_creates_a_draft_case_for_a_new_patient(referring_doctor, client_for):
    response = client_for(referring_doctor).post(URL, NEW, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["urgency"] == "urgent"
    assert body["body_part"] == "BRAIN"
    assert body["patient"]["mrn"] == "H-123"
    assert body["pseudonym"].startswith("RC-")
    assert body["referring_doctor"]["username"] == "rafael"


@pytest.mark.django_db
def test_creating_a_case_is_audited_against_the_patient(referring_doctor, client_for):
    client_for(referring_doctor).post(URL, NEW, format="json")
    patient = Patient.objects.get(mrn="H-123")
    actions = set(AuditEvent.objects.filter(patient_ref=str(patient.pk))
                  .values_list("action", flat=True))
    assert {"patient.created", "case.created"} <= actions


@pytest.mark.django_db
def test_a_known_mrn_with_matching_demographics_reuses_the_patient(referring_doctor,
                                                                   other_referring_doctor,
                                                                   client_for):
    client_for(referring_doctor).post(URL, NEW, format="json")
    again = {**NEW, "patient": {**NEW["patient"], "name": "John Doe"}}
    response = client_for(other_referring_doctor).post(URL, again, format="json")
    assert response.status_code == 201
    assert Patient.objects.count() == 1
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_known_mrn_with_other_demographics_is_refused_as_a_likely_typo(referring_doctor,
                                                                         client_for):
    client_for(referring_doctor).post(URL, NEW, format="json")
    typo = {**NEW, "patient": {**NEW["patient"], "name": "Smith, Anna"}}
    response = client_for(referring_doctor).post(URL, typo, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "patient_mismatch"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_case_for_a_visible_patient_by_id(referring_doctor, client_for):
    case = make_case(referring_doctor)
    response = client_for(referring_doctor).post(
        URL, {"patient_id": case.patient_id, "modality": "CT", "body_part": "HEAD"},
        format="json")
    assert response.status_code == 201
    assert response.json()["patient"]["id"] == case.patient_id


@pytest.mark.django_db
def test_a_patient_id_you_may_not_see_is_404(referring_doctor, other_referring_doctor,
                                             client_for):
    case = make_case(referring_doctor)
    response = client_for(other_referring_doctor).post(
        URL, {"patient_id": case.patient_id, "modality": "CT", "body_part": "HEAD"},
        format="json")
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["radiologist", "admin_user", "no_role_user"])
def test_only_referring_doctors_create_cases(request, role_fixture, client_for):
    user = request.getfixturevalue(role_fixture)
    response = client_for(user).post(URL, NEW, format="json")
    assert response.status_code == 403
    assert Case.objects.count() == 0
    assert Patient.objects.count() == 0  # nothing half-written


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), [
    ({"urgency": "whenever"}, "urgency"),
    ({"modality": "XYZ"}, "modality"),
    ({"body_part": ""}, "body_part"),
])
def test_bad_fields_get_400_naming_the_field(referring_doctor, client_for, change, field):
    response = client_for(referring_doctor).post(URL, {**NEW, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Patient.objects.count() == 0


@pytest.mark.django_db
def test_a_birth_date_in_the_future_is_refused(referring_doctor, client_for):
    bad = {**NEW, "patient": {**NEW["patient"], "birth_date": "2999-01-01"}}
    response = client_for(referring_doctor).post(URL, bad, format="json")
    assert response.status_code == 400
    assert "future" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_giving_both_patient_and_patient_id_is_refused(referring_doctor, client_for):
    case = make_case(referring_doctor)
    response = client_for(referring_doctor).post(URL, {**NEW, "patient_id": case.patient_id},
                                                 format="json")
    assert response.status_code == 400
