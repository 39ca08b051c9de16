"""POST /api/auth/password/"""

import pytest

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD

URL = "/api/auth/password/"


@pytest.mark.django_db
def test_changing_the_password_revokes_the_access_token_in_use(radiologist, client_for):
    client = client_for(radiologist)
    response = client.post(URL, {"old_password": PASSWORD,
                                 "new_password": "Brand-New-Secret-2026"}, format="json")
    assert response.status_code == 204
    after = client.get("/api/auth/me/")
    assert after.status_code == 401
    assert "password" in after.json()["error"]["message"]


@pytest.mark.django_db
def test_the_new_password_works_and_the_old_one_does_not(api_client, radiologist, client_for):
    client_for(radiologist).post(URL, {"old_password": PASSWORD,
                                       "new_password": "Brand-New-Secret-2026"}, format="json")
    old = api_client.post("/api/auth/token/", {"username": "rhea", "password": PASSWORD},
                          format="json")
    new = api_client.post("/api/auth/token/", {"username": "rhea",
                                                "password": "Brand-New-Secret-2026"},
                          format="json")
    assert (old.status_code, new.status_code) == (401, 200)


@pytest.mark.django_db
def test_a_wrong_current_password_is_refused(radiologist, client_for):
    response = client_for(radiologist).post(URL, {"old_password": "nope",
                                                  "new_password": "Brand-New-Secret-2026"},
                                            format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_password"


@pytest.mark.django_db
@pytest.mark.parametrize("weak", ["short1A!", "password12345", "123456789012345",
                                  "alllowercaseletters"])
def test_a_weak_new_password_is_refused_with_the_reason(radiologist, client_for, weak):
    response = client_for(radiologist).post(URL, {"old_password": PASSWORD,
                                                  "new_password": weak}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "weak_password"
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_a_password_change_is_audited(radiologist, client_for):
    client_for(radiologist).post(URL, {"old_password": PASSWORD,
                                       "new_password": "Brand-New-Secret-2026"}, format="json")
    assert AuditEvent.objects.filter(action="auth.password_changed",
                                     target_id=str(radiologist.pk)).exists()
