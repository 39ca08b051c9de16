"""Development / demo mode: embedded defaults, DEBUG on, throw-away keys.

`make demo` runs in this mode. Any variable from `.env.example` still applies
(e.g. DATABASE_URL to use PostgreSQL instead of SQLite).
"""

from .base import *  # noqa: F403
from .base import SIMPLE_JWT, env

DEBUG = env.bool("DEBUG", default=True)
# Throw-away keys for a laptop; production.py refuses to start without real ones.
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-" + "x" * 50)
SIMPLE_JWT["SIGNING_KEY"] = env.str("JWT_SIGNING_KEY", default="dev-insecure-jwt-" + "y" * 50)
RADCASE_DEID_UID_SECRET = env.str("RADCASE_DEID_UID_SECRET", default="dev-insecure-deid-secret")
