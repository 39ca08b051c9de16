"""Repeated failed logins are throttled with HTTP 429, on the API and the web form."""

import pytest

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD

URL = "/api/auth/token/"


@pytest.fixture
def low_limit(settings):
    settings.RADCASE_LOGIN_FAILURE_LIMIT = 3
    settings.RADCASE_LOGIN_FAILURE_WINDOW_S = 60


def _fail(client, username="rhea", ip="10.0.0.1"):
    return client.post(URL, {"username": username, "password": "wrong"}, format="json",
                       REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_the_fourth_failure_in_a_row_gets_429_with_retry_after(api_client, radiologist,
                                                               low_limit):
    statuses = [_fail(api_client).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    response = _fail(api_client)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 61
    assert response.json()["error"]["code"] == "throttled"


@pytest.mark.django_db
def test_even_the_right_password_is_refused_while_throttled(api_client, radiologist, low_limit):
    for _ in range(3):
        _fail(api_client)
    response = api_client.post(URL, {"username": "rhea", "password": PASSWORD}, format="json",
                               REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429


@pytest.mark.django_db
def test_the_throttle_is_per_username_not_global(api_client, radiologist, referring_doctor,
                                                 low_limit):
    for _ in range(3):
        _fail(api_client, "rhea", ip="10.0.0.1")
    response = api_client.post(URL, {"username": "rafael", "password": PASSWORD}, format="json",
                               REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 200


@pytest.mark.django_db
def test_one_address_guessing_many_usernames_is_throttled_too(api_client, low_limit):
    # per-address limit is ten times the per-username limit
    statuses = [_fail(api_client, f"user{i}", ip="10.9.9.9").status_code for i in range(31)]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


@pytest.mark.django_db
def test_a_success_resets_the_username_counter(api_client, radiologist, low_limit):
    for _ in range(2):
        _fail(api_client)
    assert api_client.post(URL, {"username": "rhea", "password": PASSWORD},
                           format="json").status_code == 200
    assert [_fail(api_client).status_code for _ in range(3)] == [401, 401, 401]


@pytest.mark.django_db
def test_throttled_attempts_are_audited(api_client, radiologist, low_limit):
    for _ in range(4):
        _fail(api_client)
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 3
    assert AuditEvent.objects.filter(action="auth.login_throttled").count() == 1


@pytest.mark.django_db
def test_the_web_sign_in_form_is_throttled_with_429(client, radiologist, low_limit):
    for _ in range(3):
        client.post("/login/", {"username": "rhea", "password": "wrong"})
    response = client.post("/login/", {"username": "rhea", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
