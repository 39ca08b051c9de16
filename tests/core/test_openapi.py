"""GET /api/schema/ and /api/docs/ — OpenAPI 3 and Swagger UI, served without a CDN."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_schema_generates_without_a_single_warning(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert text.startswith("openapi: 3")
    assert "/api/auth/token/" in text and "jwtAuth" in text


@pytest.mark.django_db
def test_the_schema_is_public_and_json_on_request(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/users/" in response.json()["paths"]


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html


@pytest.mark.django_db
def test_the_swagger_assets_are_really_served(client, settings):
    settings.DEBUG = True  # staticfiles serves in tests only via finders
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
