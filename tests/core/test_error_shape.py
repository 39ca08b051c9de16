"""Every API error, 4xx or 5xx, has the shape {"error": {"code", "message", "details"}}."""

import pytest
from rest_framework.test import APIClient


def _assert_shape(body):
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.mark.django_db
def test_an_unknown_api_url_is_a_json_404(radiologist, client_for):
    response = client_for(radiologist).get("/api/no/such/thing/")
    assert response.status_code == 404
    _assert_shape(response.json())


@pytest.mark.django_db
def test_a_wrong_method_is_a_json_405(radiologist, client_for):
    response = client_for(radiologist).delete("/api/auth/me/")
    assert response.status_code == 405
    _assert_shape(response.json())
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_malformed_json_is_a_400_naming_the_problem(api_client):
    response = api_client.post("/api/auth/token/", data="{not json",
                               content_type="application/json")
    assert response.status_code == 400
    _assert_shape(response.json())
    assert "JSON" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_an_unsupported_api_version_is_refused(radiologist, client_for):
    response = client_for(radiologist).get("/api/auth/me/",
                                           HTTP_ACCEPT="application/json; version=9")
    assert response.status_code == 406
    _assert_shape(response.json())


@pytest.mark.django_db
def test_api_version_1_is_accepted_explicitly(radiologist, client_for):
    response = client_for(radiologist).get("/api/auth/me/",
                                           HTTP_ACCEPT="application/json; version=1")
    assert response.status_code == 200


@pytest.mark.django_db
def test_an_unhandled_exception_is_a_json_500_with_a_request_id(radiologist, monkeypatch):
    from apps.accounts.api import views

    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.MeView, "get", explode)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(radiologist)
    response = client.get("/api/auth/me/", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 500
    _assert_shape(response.json())
    assert response.json()["error"]["details"] == {"request_id": "req-123"}
    assert "boom" not in response.content.decode()  # internals are logged, not shown
