"""Production mode: refuses to start without its secrets, passes
`manage.py check --deploy --fail-level WARNING`, logs JSON lines.

Required: SECRET_KEY, ALLOWED_HOSTS, JWT_SIGNING_KEY (no defaults), and in
practice DATABASE_URL, REDIS_URL and CELERY_BROKER_URL.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, SIMPLE_JWT, env


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in production (see .env.example); it has no default."
        )
    return value


DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [h for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
SIMPLE_JWT["SIGNING_KEY"] = _required("JWT_SIGNING_KEY")
RADCASE_DEID_UID_SECRET = _required("RADCASE_DEID_UID_SECRET")
if SIMPLE_JWT["SIGNING_KEY"] == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY.")

# TLS is terminated by nginx, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# nginx answers /health/ over plain HTTP for container health checks.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
RADCASE_TRUSTED_PROXY_COUNT = env.int("RADCASE_TRUSTED_PROXY_COUNT", default=1)

RADCASE_LOG_FORMAT = env.str("RADCASE_LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = RADCASE_LOG_FORMAT
