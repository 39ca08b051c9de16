"""Signing in and out in a real browser."""

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_radiologist_signs_in_sees_their_role_and_signs_out(page, radiologist):
    page.goto("/")
    assert "/login/" in page.url
    assert "not a certified medical device" in page.get_by_test_id("disclaimer").inner_text()
    page.fill("#id_username", "rhea")
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/")
    assert page.get_by_test_id("current-user").inner_text() == "rhea"
    assert "radiologist" in page.get_by_test_id("roles").inner_text()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login/")


def test_a_wrong_password_shows_the_reason_on_the_page(page, radiologist):
    page.goto("/login/")
    page.fill("#id_username", "rhea")
    page.fill("#id_password", "not-the-password")
    page.get_by_test_id("login-submit").click()
    assert "wrong password" in page.get_by_test_id("login-error").inner_text()


def test_an_admin_reaches_the_django_admin_after_signing_in(page, admin_user):
    page.goto("/admin/")
    page.wait_for_url("**/login/?next=/admin/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/admin/")
    assert "RadCase administration" in page.content()
