"""Test mode: like development, plus fast password hashing and eager tasks.

The database, cache and broker still come from the environment: with
DATABASE_URL/REDIS_URL set (as `.ci/run` does) the suite runs against real
PostgreSQL and Redis; without them it runs on SQLite and local memory, and
tests that need a service skip, naming it.
"""

from .base import *  # noqa: F403
from .base import SIMPLE_JWT, env

DEBUG = False
SECRET_KEY = "test-insecure-" + "x" * 50
SIMPLE_JWT["SIGNING_KEY"] = "test-insecure-jwt-" + "y" * 50
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Integration tests that need a real worker switch this off themselves.
CELERY_TASK_ALWAYS_EAGER = True
ALLOWED_HOSTS = ["*"]
RADCASE_LOG_LEVEL = env.str("RADCASE_LOG_LEVEL", default="WARNING")
LOGGING["root"]["level"] = RADCASE_LOG_LEVEL
LOGGING["loggers"]["radcase.request"]["level"] = RADCASE_LOG_LEVEL
RADCASE_DEID_UID_SECRET = env.str("RADCASE_DEID_UID_SECRET", default="test-deid-secret")
