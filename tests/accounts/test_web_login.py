"""The web sign-in page: sessions with CSRF on."""

import pytest
from django.test import Client

from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_the_sign_in_page_shows_the_research_use_disclaimer(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"not a certified medical device" in response.content


@pytest.mark.django_db
def test_signing_in_opens_the_home_page_with_the_users_roles(client, radiologist):
    response = client.post("/login/", {"username": "rhea", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert b"radiologist" in response.content
    assert AuditEvent.objects.filter(action="auth.login", details__channel="web").exists()


@pytest.mark.django_db
def test_a_wrong_password_shows_an_error_and_is_audited(client, radiologist):
    response = client.post("/login/", {"username": "rhea", "password": "wrong"})
    assert response.status_code == 401
    assert b"wrong password" in response.content
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1


@pytest.mark.django_db
def test_signing_in_without_a_csrf_token_is_refused(radiologist):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"username": "rhea", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_next_may_not_point_to_another_site(client, radiologist):
    response = client.post("/login/?next=https://evil.example/", {"username": "rhea",
                                                                   "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_signing_out_ends_the_session_and_is_audited(client, radiologist):
    client.post("/login/", {"username": "rhea", "password": PASSWORD})
    client.post("/logout/")
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", details__channel="web").exists()


@pytest.mark.django_db
def test_the_django_admin_login_goes_through_the_radcase_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
