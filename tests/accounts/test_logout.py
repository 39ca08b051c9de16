"""POST /api/auth/logout/"""

import pytest

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD


@pytest.fixture
def tokens(api_client, radiologist):
    return api_client.post("/api/auth/token/", {"username": "rhea", "password": PASSWORD},
                           format="json").json()


@pytest.mark.django_db
def test_logout_blacklists_the_refresh_token(api_client, tokens):
    response = api_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 205
    refresh = api_client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]},
                              format="json")
    assert refresh.status_code == 401


@pytest.mark.django_db
def test_logout_is_audited(api_client, tokens, radiologist):
    api_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert AuditEvent.objects.filter(action="auth.logout", actor=radiologist).count() == 1


@pytest.mark.django_db
def test_logout_with_an_invalid_token_gets_401(api_client):
    response = api_client.post("/api/auth/logout/", {"refresh": "garbage"}, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_logout_without_a_token_gets_400(api_client):
    response = api_client.post("/api/auth/logout/", {}, format="json")
    assert response.status_code == 400
    assert "refresh" in response.json()["error"]["details"]
