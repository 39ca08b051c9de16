"""GET and POST /api/users/ — administrators list and create users."""

import pytest

from apps.accounts.models import User
from apps.audit.models import AuditEvent

URL = "/api/users/"
NEW_USER = {"username": "newdoc", "password": "Very-Strong-Password-9", "email": "n@x.org",
            "first_name": "New", "last_name": "Doctor", "roles": ["referring_doctor"]}


@pytest.mark.django_db
def test_an_admin_lists_users_with_their_roles(admin_user, radiologist, client_for):
    body = client_for(admin_user).get(URL).json()
    rows = {row["username"]: row for row in body["results"]}
    assert rows["rhea"]["roles"] == ["radiologist"]
    assert rows["ada"]["roles"] == ["admin"]
    assert body["count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["radiologist", "referring_doctor", "no_role_user"])
def test_only_admins_may_list_users(request, role_fixture, client_for):
    user = request.getfixturevalue(role_fixture)
    response = client_for(user).get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_an_admin_creates_a_user_who_can_then_log_in(admin_user, client_for, api_client):
    response = client_for(admin_user).post(URL, NEW_USER, format="json")
    assert response.status_code == 201
    assert response.json()["roles"] == ["referring_doctor"]
    login = api_client.post("/api/auth/token/", {"username": "newdoc",
                                                  "password": NEW_USER["password"]},
                            format="json")
    assert login.status_code == 200


@pytest.mark.django_db
def test_creating_a_user_is_audited_without_the_password(admin_user, client_for):
    client_for(admin_user).post(URL, NEW_USER, format="json")
    event = AuditEvent.objects.get(action="user.created", actor=admin_user)
    assert event.actor == admin_user
    assert event.details["roles"] == ["referring_doctor"]
    assert NEW_USER["password"] not in str(event.details)


@pytest.mark.django_db
def test_a_duplicate_username_gets_409_and_creates_nothing(admin_user, radiologist, client_for):
    response = client_for(admin_user).post(URL, {**NEW_USER, "username": "RHEA"}, format="json")
    assert response.status_code == 409
    assert "already taken" in response.json()["error"]["message"]
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_a_weak_password_gets_400_and_creates_nothing(admin_user, client_for):
    response = client_for(admin_user).post(URL, {**NEW_USER, "password": "abc"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "weak_password"
    assert not User.objects.filter(username="newdoc").exists()


@pytest.mark.django_db
def test_an_unknown_role_gets_400_naming_it(admin_user, client_for):
    response = client_for(admin_user).post(URL, {**NEW_USER, "roles": ["surgeon"]},
                                           format="json")
    assert response.status_code == 400
    assert "surgeon" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_the_admin_role_grants_the_django_admin(admin_user, client_for):
    client_for(admin_user).post(URL, {**NEW_USER, "roles": ["admin"]}, format="json")
    user = User.objects.get(username="newdoc")
    assert user.is_staff and user.is_superuser
