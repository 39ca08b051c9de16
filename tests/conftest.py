"""Shared fixtures: named users with different access, API clients, and the
rules for tests that need a real service.

Tests marked `postgres`, `redis`, `broker` or `browser` skip with a message
naming what is missing — unless RADCASE_REQUIRE_SERVICES=1 (as `.ci/run`
sets), where a missing service fails the test instead: in CI nothing may skip
for lack of a service.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Correct-Horse-Battery-42"  # passes every validator
REQUIRE_SERVICES = os.environ.get("RADCASE_REQUIRE_SERVICES") == "1"


def shared_dir() -> Path:
    return Path(os.environ.get("RADCASE_SHARED_DIR", REPO_ROOT.parent / "shared"))


def _redis_available() -> tuple[bool, str]:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return False, "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return False, f"needs Redis at {url}: {exc}"
    return True, ""


def _service_unavailable(marker: str) -> str | None:
    if marker == "postgres":
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            return "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/radcase"
    elif marker == "redis":
        ok, why = _redis_available()
        if not ok:
            return why
    elif marker == "broker":
        if not os.environ.get("CELERY_BROKER_URL"):
            return "needs a Celery broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/1"
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            return "a real worker shares the test database: needs PostgreSQL (DATABASE_URL)"
    elif marker == "browser":
        if not shutil.which("chromium") or not Path("/usr/bin/chromium").exists():
            return "needs Chromium: apt-get install chromium (make test does this as root)"
    elif marker == "shared_data" and not shared_dir().is_dir():
        return f"needs the shared data folder at {shared_dir()} (set RADCASE_SHARED_DIR)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "broker", "browser", "shared_data"):
        if item.get_closest_marker(marker) is None:
            continue
        why = _service_unavailable(marker)
        if why is None:
            continue
        if REQUIRE_SERVICES and marker != "shared_data":
            pytest.fail(f"RADCASE_REQUIRE_SERVICES=1 but this test {why}")
        pytest.skip(why)


# --- users ------------------------------------------------------------------

@pytest.fixture
def make_user(db) -> Callable[..., object]:
    """Create a user with the given roles through the real service."""
    from apps.accounts.services import user_create

    def _make(username: str, *roles: str, password: str = PASSWORD, **fields):
        return user_create(created_by=None, username=username, password=password,
                           roles=roles, **fields)

    return _make


@pytest.fixture
def radiologist(make_user):
    """Rhea, a radiologist."""
    return make_user("rhea", "radiologist", first_name="Rhea", last_name="Ray")


@pytest.fixture
def other_radiologist(make_user):
    """Otto, another radiologist."""
    return make_user("otto", "radiologist", first_name="Otto", last_name="Other")


@pytest.fixture
def referring_doctor(make_user):
    """Rafael, a referring doctor."""
    return make_user("rafael", "referring_doctor", first_name="Rafael", last_name="Ref")


@pytest.fixture
def other_referring_doctor(make_user):
    """Olga, another referring doctor."""
    return make_user("olga", "referring_doctor", first_name="Olga", last_name="Other")


@pytest.fixture
def admin_user(make_user):
    """Ada, an administrator."""
    return make_user("ada", "admin", first_name="Ada", last_name="Admin")


@pytest.fixture
def no_role_user(make_user):
    """Nina, signed up but given no role yet."""
    return make_user("nina", first_name="Nina", last_name="Norole")


# --- clients ----------------------------------------------------------------

@pytest.fixture
def api_client() -> APIClient:
    """An anonymous API client."""
    return APIClient()


def bearer_client(user) -> APIClient:
    """An API client carrying a fresh access token for `user`."""
    client = APIClient()
    token = RefreshToken.for_user(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    return client


@pytest.fixture
def client_for() -> Callable[[object], APIClient]:
    return bearer_client


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Every test writes uploaded files to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached renders never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
