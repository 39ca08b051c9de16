"""GET /api/audit/events/ — administrators review the audit trail."""

import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

URL = "/api/audit/events/"


@pytest.mark.django_db
def test_an_admin_filters_the_trail_by_patient(admin_user, radiologist, client_for):
    audit_record(actor=radiologist, action="case.viewed", patient=11)
    audit_record(actor=radiologist, action="case.viewed", patient=12)
    body = client_for(admin_user).get(URL, {"patient": "11"}).json()
    assert [row["patient_ref"] for row in body["results"]] == ["11"]
    assert body["results"][0]["actor_username"] == "rhea"


@pytest.mark.django_db
def test_an_admin_filters_by_actor_and_action_prefix(admin_user, radiologist, client_for):
    audit_record(actor=radiologist, action="case.viewed")
    audit_record(actor=admin_user, action="case.viewed")
    body = client_for(admin_user).get(URL, {"actor": radiologist.pk,
                                            "action_prefix": "case."}).json()
    assert body["count"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["radiologist", "referring_doctor", "no_role_user"])
def test_only_admins_may_read_the_trail(request, role_fixture, client_for):
    response = client_for(request.getfixturevalue(role_fixture)).get(URL)
    assert response.status_code == 403


@pytest.mark.django_db
def test_reading_the_trail_is_itself_audited(admin_user, client_for):
    client_for(admin_user).get(URL, {"action": "auth.login"})
    event = AuditEvent.objects.get(action="audit.viewed")
    assert event.details == {"filters": {"action": "auth.login"}}


@pytest.mark.django_db
def test_refused_access_is_audited_with_path_and_reason(radiologist, client_for, api_client):
    client_for(radiologist).get(URL)
    api_client.get("/api/auth/me/", REMOTE_ADDR="203.0.113.5")
    refused = AuditEvent.objects.filter(action="access.refused").order_by("id")
    assert [(e.actor_username, e.details["status"], e.details["path"]) for e in refused] == [
        ("rhea", 403, URL), ("", 401, "/api/auth/me/")]
    assert refused[1].ip == "203.0.113.5"
