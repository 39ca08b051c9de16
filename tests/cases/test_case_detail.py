"""GET and PATCH /api/cases/<id>/ — who may see and edit a case."""

import pytest

from apps.audit.models import AuditEvent
from tests.support.factories import in_review_case, make_case, submitted_case


@pytest.mark.django_db
def test_the_referring_doctor_sees_their_case_and_the_read_is_audited(referring_doctor,
                                                                     client_for):
    case = make_case(referring_doctor)
    response = client_for(referring_doctor).get(f"/api/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["patient"]["name"] == "Doe, Jane"
    event = AuditEvent.objects.filter(action="case.viewed").get()
    assert (event.actor_id, event.target_id, event.patient_ref) == (
        referring_doctor.pk, str(case.pk), str(case.patient_id))


@pytest.mark.django_db
def test_another_referring_doctor_gets_404_not_403(referring_doctor, other_referring_doctor,
                                                   client_for):
    case = make_case(referring_doctor)
    response = client_for(other_referring_doctor).get(f"/api/cases/{case.pk}/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="case.viewed").exists()


@pytest.mark.django_db
def test_a_radiologist_does_not_see_drafts(referring_doctor, radiologist, client_for):
    case = make_case(referring_doctor)
    assert client_for(radiologist).get(f"/api/cases/{case.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_radiologist_sees_the_unassigned_pool(referring_doctor, radiologist, client_for):
    case = submitted_case(referring_doctor)
    assert client_for(radiologist).get(f"/api/cases/{case.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_radiologist_does_not_see_a_colleagues_case(referring_doctor, radiologist,
                                                      other_radiologist, client_for):
    case = in_review_case(referring_doctor, other_radiologist)
    assert client_for(radiologist).get(f"/api/cases/{case.pk}/").status_code == 404
    assert client_for(other_radiologist).get(f"/api/cases/{case.pk}/").status_code == 200


@pytest.mark.django_db
def test_an_admin_sees_every_case(referring_doctor, admin_user, client_for):
    case = make_case(referring_doctor)
    assert client_for(admin_user).get(f"/api/cases/{case.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_user_with_no_role_sees_nothing(referring_doctor, no_role_user, client_for):
    case = submitted_case(referring_doctor)
    assert client_for(no_role_user).get(f"/api/cases/{case.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_referring_doctor_edits_urgency_before_reading_starts(referring_doctor,
                                                                   client_for):
    case = submitted_case(referring_doctor)
    response = client_for(referring_doctor).patch(f"/api/cases/{case.pk}/",
                                                  {"urgency": "stat"}, format="json")
    assert response.status_code == 200
    assert response.json()["urgency"] == "stat"
    assert AuditEvent.objects.filter(action="case.updated").exists()


@pytest.mark.django_db
def test_a_case_being_read_can_no_longer_be_edited(referring_doctor, radiologist, client_for):
    case = in_review_case(referring_doctor, radiologist)
    response = client_for(referring_doctor).patch(f"/api/cases/{case.pk}/",
                                                  {"urgency": "stat"}, format="json")
    assert response.status_code == 403
