"""/api/patients/ — registering and reading patients."""

import pytest

from apps.audit.models import AuditEvent
from tests.support.factories import make_case, submitted_case

URL = "/api/patients/"
NEW = {"mrn": "P-1", "name": "Poe, Edgar", "birth_date": "1950-01-19", "sex": "M"}


@pytest.mark.django_db
def test_a_referring_doctor_registers_a_patient(referring_doctor, client_for):
    response = client_for(referring_doctor).post(URL, NEW, format="json")
    assert response.status_code == 201
    assert response.json()["mrn"] == "P-1"


@pytest.mark.django_db
def test_an_mrn_is_unique_per_site(referring_doctor, client_for):
    client_for(referring_doctor).post(URL, NEW, format="json")
    response = client_for(referring_doctor).post(URL, {**NEW, "name": "Other"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mrn_taken"


@pytest.mark.django_db
def test_a_radiologist_cannot_register_patients(radiologist, client_for):
    assert client_for(radiologist).post(URL, NEW, format="json").status_code == 403


@pytest.mark.django_db
def test_a_radiologist_sees_patients_of_pool_cases_only(referring_doctor, radiologist,
                                                       client_for):
    pooled = submitted_case(referring_doctor, name="Pool, Paula")
    make_case(referring_doctor, name="Draft, Dora")
    body = client_for(radiologist).get(URL).json()
    assert [p["id"] for p in body["results"]] == [pooled.patient_id]


@pytest.mark.django_db
def test_another_referring_doctors_patient_is_404(referring_doctor, other_referring_doctor,
                                                  client_for):
    case = make_case(referring_doctor)
    response = client_for(other_referring_doctor).get(f"{URL}{case.patient_id}/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_reading_a_patient_is_audited(referring_doctor, client_for):
    case = make_case(referring_doctor)
    client_for(referring_doctor).get(f"{URL}{case.patient_id}/")
    assert AuditEvent.objects.filter(action="patient.viewed",
                                     patient_ref=str(case.patient_id)).count() == 1


@pytest.mark.django_db
def test_listing_patients_audits_each_one_shown(referring_doctor, client_for):
    a, b = make_case(referring_doctor), make_case(referring_doctor, name="Roe, R")
    client_for(referring_doctor).get(URL)
    assert set(AuditEvent.objects.filter(action="patient.listed")
               .values_list("patient_ref", flat=True)) == {str(a.patient_id), str(b.patient_id)}
