"""GET/PATCH /api/users/<id>/ and the disable, enable and password-reset actions."""

import pytest

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_an_admin_changes_a_users_roles(admin_user, radiologist, client_for):
    response = client_for(admin_user).patch(
        f"/api/users/{radiologist.pk}/", {"roles": ["radiologist", "referring_doctor"]},
        format="json")
    assert response.status_code == 200
    assert response.json()["roles"] == ["radiologist", "referring_doctor"]
    event = AuditEvent.objects.get(action="user.roles_changed")
    assert event.details == {"before": ["radiologist"],
                             "after": ["radiologist", "referring_doctor"]}


@pytest.mark.django_db
def test_a_role_change_takes_effect_on_the_very_next_request(admin_user, radiologist,
                                                            client_for):
    rhea = client_for(radiologist)
    assert rhea.get("/api/users/").status_code == 403
    client_for(admin_user).patch(f"/api/users/{radiologist.pk}/",
                                 {"roles": ["radiologist", "admin"]}, format="json")
    assert rhea.get("/api/users/").status_code == 200


@pytest.mark.django_db
def test_a_disabled_users_access_token_stops_working_at_once(admin_user, radiologist,
                                                             client_for):
    rhea = client_for(radiologist)
    assert rhea.get("/api/auth/me/").status_code == 200
    response = client_for(admin_user).post(f"/api/users/{radiologist.pk}/disable/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    refused = rhea.get("/api/auth/me/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "user_inactive"


@pytest.mark.django_db
def test_a_disabled_users_web_session_stops_working_at_once(admin_user, radiologist, client,
                                                            client_for):
    client.post("/login/", {"username": "rhea", "password": PASSWORD})
    assert client.get("/").status_code == 200
    client_for(admin_user).post(f"/api/users/{radiologist.pk}/disable/")
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_re_enabling_a_user_lets_them_log_in_again(admin_user, radiologist, client_for,
                                                    api_client):
    admin = client_for(admin_user)
    admin.post(f"/api/users/{radiologist.pk}/disable/")
    admin.post(f"/api/users/{radiologist.pk}/enable/")
    login = api_client.post("/api/auth/token/", {"username": "rhea", "password": PASSWORD},
                            format="json")
    assert login.status_code == 200


@pytest.mark.django_db
def test_an_admin_cannot_disable_themselves(admin_user, client_for):
    response = client_for(admin_user).post(f"/api/users/{admin_user.pk}/disable/")
    assert response.status_code == 409
    assert User.objects.get(pk=admin_user.pk).is_active


@pytest.mark.django_db
def test_the_last_admin_cannot_lose_the_admin_role(admin_user, client_for):
    response = client_for(admin_user).patch(f"/api/users/{admin_user.pk}/",
                                            {"roles": ["radiologist"]}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_admin"


@pytest.mark.django_db
def test_an_admin_reset_password_revokes_the_users_tokens(admin_user, radiologist, client_for):
    rhea = client_for(radiologist)
    response = client_for(admin_user).post(f"/api/users/{radiologist.pk}/password/",
                                           {"password": "Reset-By-Admin-2026"}, format="json")
    assert response.status_code == 204
    assert rhea.get("/api/auth/me/").status_code == 401


@pytest.mark.django_db
def test_an_unknown_user_id_gets_404_in_the_error_shape(admin_user, client_for):
    response = client_for(admin_user).get("/api/users/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_radiologist_cannot_disable_anyone(radiologist, referring_doctor, client_for):
    response = client_for(radiologist).post(f"/api/users/{referring_doctor.pk}/disable/")
    assert response.status_code == 403
    assert User.objects.get(pk=referring_doctor.pk).is_active
