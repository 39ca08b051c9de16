"""Every API route outside the explicit allowlist answers 401 without credentials.

The test walks Django's URL resolver rather than a hand-kept list, so a route
added tomorrow is checked tomorrow.
"""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.urls import PUBLIC_API_ROUTES


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def _concrete(route: str) -> str:
    """Fill path converters with plausible values."""
    route = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), route)
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str|slug):\w+>", "x", route)
    route = re.sub(r"<path:\w+>", "x/y", route)
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    return "/" + route


API_ROUTES = sorted({(r, n) for r, n in _walk(get_resolver().url_patterns)
                     if r.startswith("api/")})
PROTECTED = [(r, n) for r, n in API_ROUTES if n not in PUBLIC_API_ROUTES]


def test_the_walk_finds_the_api_routes():
    names = {n for _, n in API_ROUTES}
    assert {"token-obtain", "me", "user-list", "audit-event-list"} <= names
    assert len(PROTECTED) >= 8


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize(("route", "name"), PROTECTED, ids=[n or r for r, n in PROTECTED])
def test_an_anonymous_request_is_refused_with_401(api_client, route, name, method):
    response = getattr(api_client, method)(_concrete(route))
    assert response.status_code == 401, f"{method.upper()} {route} answered {response.status_code}"
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), PROTECTED, ids=[n or r for r, n in PROTECTED])
def test_a_forged_bearer_token_is_refused_with_401(api_client, route, name):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged")
    assert api_client.get(_concrete(route)).status_code == 401


def test_the_allowlist_names_only_routes_that_exist():
    names = {n for _, n in API_ROUTES}
    assert names >= PUBLIC_API_ROUTES
