"""GET /api/auth/me/"""

import pytest


@pytest.mark.django_db
def test_me_lists_every_role_of_a_user_with_several(make_user, client_for):
    user = make_user("multi", "radiologist", "admin")
    body = client_for(user).get("/api/auth/me/").json()
    assert body["roles"] == ["admin", "radiologist"]


@pytest.mark.django_db
def test_a_user_with_no_role_can_still_see_who_they_are(no_role_user, client_for):
    body = client_for(no_role_user).get("/api/auth/me/").json()
    assert body["username"] == "nina"
    assert body["roles"] == []


@pytest.mark.django_db
def test_me_without_credentials_is_401_with_a_bearer_challenge(api_client):
    response = api_client.get("/api/auth/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
