"""POST /api/auth/token/"""

import jwt
import pytest
from django.conf import settings

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD

URL = "/api/auth/token/"


@pytest.mark.django_db
def test_a_radiologist_gets_an_access_and_a_refresh_token(api_client, radiologist):
    response = api_client.post(URL, {"username": "rhea", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    claims = jwt.decode(body["access"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert claims["user_id"] == str(radiologist.pk)


@pytest.mark.django_db
def test_the_access_token_lives_at_most_five_minutes(api_client, radiologist):
    body = api_client.post(URL, {"username": "rhea", "password": PASSWORD}, format="json").json()
    claims = jwt.decode(body["access"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert 0 < claims["exp"] - claims["iat"] <= 300


@pytest.mark.django_db
def test_the_access_token_opens_the_api(api_client, radiologist):
    body = api_client.post(URL, {"username": "rhea", "password": PASSWORD}, format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api_client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "rhea"
    assert me.json()["roles"] == ["radiologist"]


@pytest.mark.django_db
def test_a_wrong_password_gets_401_in_the_error_shape(api_client, radiologist):
    response = api_client.post(URL, {"username": "rhea", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert "password" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_a_missing_field_gets_400_naming_the_field(api_client):
    response = api_client.post(URL, {"username": "rhea"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "password" in error["details"]


@pytest.mark.django_db
def test_a_disabled_user_cannot_obtain_a_token(api_client, radiologist):
    radiologist.is_active = False
    radiologist.save()
    response = api_client.post(URL, {"username": "rhea", "password": PASSWORD}, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_a_successful_login_is_audited_with_address_and_agent(api_client, radiologist):
    api_client.post(URL, {"username": "rhea", "password": PASSWORD}, format="json",
                    REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="pytest-agent")
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == radiologist
    assert event.ip == "10.1.2.3"
    assert event.user_agent == "pytest-agent"
    assert event.details == {"channel": "api"}


@pytest.mark.django_db
def test_a_failed_login_is_audited_with_the_attempted_username(api_client, radiologist):
    api_client.post(URL, {"username": "rhea", "password": "nope"}, format="json")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.details["username"] == "rhea"
    assert "nope" not in str(event.details)  # never the password
