"""POST /api/auth/token/refresh/"""

import pytest

from apps.accounts import services
from tests.conftest import PASSWORD

URL = "/api/auth/token/refresh/"


@pytest.fixture
def tokens(api_client, radiologist):
    return api_client.post("/api/auth/token/", {"username": "rhea", "password": PASSWORD},
                           format="json").json()


@pytest.mark.django_db
def test_refreshing_returns_a_new_access_and_a_rotated_refresh_token(api_client, tokens):
    response = api_client.post(URL, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["refresh"] != tokens["refresh"]
    assert body["access"] != tokens["access"]


@pytest.mark.django_db
def test_a_refresh_token_cannot_be_used_twice(api_client, tokens):
    assert api_client.post(URL, {"refresh": tokens["refresh"]}, format="json").status_code == 200
    second = api_client.post(URL, {"refresh": tokens["refresh"]}, format="json")
    assert second.status_code == 401
    assert "blacklisted" in second.json()["error"]["message"]


@pytest.mark.django_db
def test_the_rotated_refresh_token_works(api_client, tokens):
    rotated = api_client.post(URL, {"refresh": tokens["refresh"]}, format="json").json()
    again = api_client.post(URL, {"refresh": rotated["refresh"]}, format="json")
    assert again.status_code == 200


@pytest.mark.django_db
def test_an_access_token_is_not_accepted_as_a_refresh_token(api_client, tokens):
    response = api_client.post(URL, {"refresh": tokens["access"]}, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_garbage_gets_401_not_500(api_client):
    response = api_client.post(URL, {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"token_not_valid", "authentication_failed"}


@pytest.mark.django_db
def test_a_disabled_users_refresh_token_is_refused(api_client, tokens, radiologist, admin_user):
    services.user_disable(disabled_by=admin_user, user=radiologist)
    assert api_client.post(URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.django_db
def test_a_refresh_token_from_before_a_password_change_is_refused(api_client, tokens, radiologist):
    services.user_change_own_password(user=radiologist, old_password=PASSWORD,
                                      new_password="Another-Long-Secret-77")
    assert api_client.post(URL, {"refresh": tokens["refresh"]}, format="json").status_code == 401
