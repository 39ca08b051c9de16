"""POST /api/cases/<id>/{submit,claim,assign,release}/ and the later status
rules (report, sign, amend) — who may move a case along, and from where."""

import pytest

from apps.cases import services
from apps.cases.models import Status
from apps.core.errors import ForbiddenError
from tests.support.factories import add_png, in_review_case, make_case, submitted_case


@pytest.mark.django_db
def test_submitting_a_case_without_images_is_refused(referring_doctor, client_for):
    case = make_case(referring_doctor)
    response = client_for(referring_doctor).post(f"/api/cases/{case.pk}/submit/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_images"


@pytest.mark.django_db
def test_the_referring_doctor_submits_a_case_with_images(referring_doctor, client_for):
    case = make_case(referring_doctor)
    add_png(case, referring_doctor)
    response = client_for(referring_doctor).post(f"/api/cases/{case.pk}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_at"]


@pytest.mark.django_db
def test_submitting_twice_is_a_409(referring_doctor, client_for):
    case = submitted_case(referring_doctor)
    response = client_for(referring_doctor).post(f"/api/cases/{case.pk}/submit/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


@pytest.mark.django_db
def test_a_radiologist_claims_an_unassigned_case(referring_doctor, radiologist, client_for):
    case = submitted_case(referring_doctor)
    response = client_for(radiologist).post(f"/api/cases/{case.pk}/claim/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "in_review"
    assert body["assigned_radiologist"]["username"] == "rhea"


@pytest.mark.django_db
def test_a_claimed_case_leaves_the_pool_for_other_radiologists(referring_doctor, radiologist,
                                                               other_radiologist, client_for):
    case = submitted_case(referring_doctor)
    client_for(radiologist).post(f"/api/cases/{case.pk}/claim/")
    response = client_for(other_radiologist).post(f"/api/cases/{case.pk}/claim/")
    assert response.status_code == 404  # no longer visible to Otto


@pytest.mark.django_db
def test_a_referring_doctor_cannot_claim(referring_doctor, client_for):
    case = submitted_case(referring_doctor)
    assert client_for(referring_doctor).post(f"/api/cases/{case.pk}/claim/").status_code == 403


@pytest.mark.django_db
def test_an_admin_assigns_a_case_to_a_radiologist(referring_doctor, radiologist, admin_user,
                                                  client_for):
    case = submitted_case(referring_doctor)
    response = client_for(admin_user).post(f"/api/cases/{case.pk}/assign/",
                                           {"radiologist_id": radiologist.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["assigned_radiologist"]["id"] == radiologist.pk
    assert client_for(radiologist).get(f"/api/cases/{case.pk}/").status_code == 200


@pytest.mark.django_db
def test_an_admin_cannot_assign_to_someone_who_is_not_a_radiologist(referring_doctor,
                                                                    admin_user, client_for):
    case = submitted_case(referring_doctor)
    response = client_for(admin_user).post(f"/api/cases/{case.pk}/assign/",
                                           {"radiologist_id": referring_doctor.pk},
                                           format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_a_radiologist"


@pytest.mark.django_db
def test_a_radiologist_cannot_assign(referring_doctor, radiologist, other_radiologist,
                                     client_for):
    case = submitted_case(referring_doctor)
    response = client_for(radiologist).post(f"/api/cases/{case.pk}/assign/",
                                            {"radiologist_id": other_radiologist.pk},
                                            format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_assigned_radiologist_releases_a_case_back_to_the_pool(referring_doctor,
                                                                   radiologist, client_for):
    case = in_review_case(referring_doctor, radiologist)
    response = client_for(radiologist).post(f"/api/cases/{case.pk}/release/")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["assigned_radiologist"] is None


@pytest.mark.django_db
def test_only_the_assigned_radiologist_reports_signs_and_amends(referring_doctor, radiologist,
                                                                other_radiologist):
    case = in_review_case(referring_doctor, radiologist)
    with pytest.raises(ForbiddenError):
        services.case_mark_reported(radiologist=other_radiologist, case=case)
    case = services.case_mark_reported(radiologist=radiologist, case=case)
    with pytest.raises(ForbiddenError):
        services.case_sign(radiologist=other_radiologist, case=case)
    case = services.case_sign(radiologist=radiologist, case=case)
    case = services.case_amend(radiologist=radiologist, case=case)
    assert case.status == Status.AMENDED
    assert case.reported_at and case.signed_at and case.amended_at


@pytest.mark.django_db
def test_a_case_cannot_be_signed_before_it_is_reported(referring_doctor, radiologist):
    case = in_review_case(referring_doctor, radiologist)
    with pytest.raises(services.TransitionError, match="cannot become signed"):
        services.case_sign(radiologist=radiologist, case=case)


@pytest.mark.django_db
def test_every_transition_is_audited_with_the_patient(referring_doctor, radiologist):
    from apps.audit.models import AuditEvent

    case = in_review_case(referring_doctor, radiologist)
    actions = list(AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk))
                   .order_by("id").values_list("action", "patient_ref"))
    assert [a for a, _ in actions] == ["case.created", "case.submitted", "case.claimed"]
    assert {p for _, p in actions} == {str(case.patient_id)}
