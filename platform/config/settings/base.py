"""Settings shared by every mode.

Everything configurable comes from environment variables (listed, with a
comment each, in `.env.example`). A `.env` file in the repository root is read
when present; real environment variables win over it.

With nothing configured RadCase runs on embedded defaults: SQLite, Celery
tasks executed in-process (eager) and a local-memory cache. Setting
`DATABASE_URL`, `REDIS_URL` and `CELERY_BROKER_URL` switches to PostgreSQL,
django-redis and a real Celery worker.
"""

from datetime import timedelta
from pathlib import Path

import environ
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parents[3]  # the repository root
PLATFORM_DIR = BASE_DIR / "platform"



class _Env(environ.Env):
    """django-environ, except that an empty variable (`DATABASE_URL=` copied
    from .env.example) counts as unset and falls back to the default."""

    def get_value(self, var, *args, **kwargs):
        if self.ENVIRON.get(var) == "":
            saved = self.ENVIRON.pop(var)
            try:
                return super().get_value(var, *args, **kwargs)
            finally:
                self.ENVIRON[var] = saved
        return super().get_value(var, *args, **kwargs)


env = _Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- core -------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# Development and test modes set a throw-away key; production has no default.
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

RADCASE_SITE_NAME = env.str("RADCASE_SITE_NAME", default="RadCase")
# Shown on every page and in every report: RadCase is a research tool.
RADCASE_DISCLAIMER = (
    "RadCase is a research tool, not a certified medical device. "
    "It must not be used for clinical diagnosis."
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "apps.core",
    "apps.accounts",
    "apps.audit",
    "apps.cases",
    "apps.imaging",
    "apps.diagnoses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.ApiNotFoundMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.radcase",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
VAR_DIR = Path(env.str("RADCASE_VAR_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'radcase.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers
    # queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (django-redis when REDIS_URL is set) -----------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # Fail fast: a cache outage must show in /health/, not hang requests.
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
            "KEY_PREFIX": "radcase",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "radcase",
        }
    }

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "apps.accounts.validators.CharacterClassValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE_S", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Failed-login throttling: after LIMIT failures within WINDOW seconds for the
# same username or the same client address, further attempts get HTTP 429.
RADCASE_LOGIN_FAILURE_LIMIT = env.int("RADCASE_LOGIN_FAILURE_LIMIT", default=5)
RADCASE_LOGIN_FAILURE_WINDOW_S = env.int("RADCASE_LOGIN_FAILURE_WINDOW_S", default=900)
# Number of reverse proxies (nginx) in front of the app whose X-Forwarded-For
# entries are trusted when recording the client address. 0 = use REMOTE_ADDR.
RADCASE_TRUSTED_PROXY_COUNT = env.int("RADCASE_TRUSTED_PROXY_COUNT", default=0)

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first so that an unauthenticated API call answers 401 with a
        # `WWW-Authenticate: Bearer` header rather than 403.
        "apps.accounts.authentication.RadCaseJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.AcceptHeaderVersioning",
    "DEFAULT_VERSION": "1",
    "ALLOWED_VERSIONS": ["1"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

ACCESS_TOKEN_LIFETIME_S = env.int("JWT_ACCESS_TOKEN_LIFETIME_S", default=300)
if not 0 < ACCESS_TOKEN_LIFETIME_S <= 300:
    raise environ.ImproperlyConfigured(
        "JWT_ACCESS_TOKEN_LIFETIME_S must be between 1 and 300 seconds."
    )
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=ACCESS_TOKEN_LIFETIME_S),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_TOKEN_LIFETIME_S", default=8 * 3600)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    # A separate key from SECRET_KEY, so either can be rotated on its own.
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=""),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Changing a password revokes every token issued before the change.
    "CHECK_REVOKE_TOKEN": True,
    "REVOKE_TOKEN_CLAIM": "hash_password",
    "CHECK_USER_IS_ACTIVE": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "RadCase API",
    "DESCRIPTION": (
        "Role-based REST API of RadCase. Authenticate with a JWT from "
        "`POST /api/auth/token/` and send `Authorization: Bearer <access>`. "
        "Every error has the shape `{\"error\": {\"code\", \"message\", \"details\"}}`. "
        + RADCASE_DISCLAIMER
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # assets served locally: the machines are offline
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process when enqueued (embedded defaults).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True  # results are written to the database, keyed
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged only after it finished
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ...and re-queued if its worker died
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT_S", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT_S", default=720)
# Redis re-delivers an unacknowledged task after the visibility timeout; it
# must exceed the longest task or a slow task would run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_S", default=3600),
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise environ.ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT_S must be greater than CELERY_TASK_TIME_LIMIT_S."
    )
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("inference"), Queue("reports"))
CELERY_TASK_ROUTES = {
    "apps.diagnoses.tasks.*": {"queue": "inference"},
    "apps.reports.tasks.*": {"queue": "reports"},
}
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("RADCASE_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("RADCASE_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media is never served at a public URL; protected files go through views that
# check access. Behind nginx, those views answer with X-Accel-Redirect to this
# internal location instead of streaming the bytes themselves.
MEDIA_URL = "/media-not-public/"
RADCASE_X_ACCEL_REDIRECT_PREFIX = env.str("RADCASE_X_ACCEL_REDIRECT_PREFIX", default="")

RADCASE_MAX_UPLOAD_MB = env.int("RADCASE_MAX_UPLOAD_MB", default=512)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # non-file request bodies
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # larger uploads spill to disk
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("RADCASE_MAX_FILES_PER_UPLOAD", default=1000)

# Storage of uploaded images through Django's storage API: the local file
# system by default, or any S3-compatible object store via django-storages.
RADCASE_STORAGE = env.str("RADCASE_STORAGE", default="filesystem")  # filesystem | s3
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if RADCASE_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("RADCASE_S3_BUCKET"),
            "endpoint_url": env.str("RADCASE_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("RADCASE_S3_REGION", default=None),
            "access_key": env.str("RADCASE_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("RADCASE_S3_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif RADCASE_STORAGE != "filesystem":
    raise environ.ImproperlyConfigured("RADCASE_STORAGE must be 'filesystem' or 's3'.")

# --- cases and imaging ------------------------------------------------------
# Identifies this installation: MRNs are unique per site.
RADCASE_SITE_ID = env.str("RADCASE_SITE_ID", default="default")
# Site default for applying the DICOM PS3.15 Annex E Basic Profile on upload
# (each upload may override it).
RADCASE_DEIDENTIFY_BY_DEFAULT = env.bool("RADCASE_DEIDENTIFY_BY_DEFAULT", default=True)
# Secret that makes replacement UIDs consistent within this site (the same
# original UID always maps to the same new one). Production requires it.
RADCASE_DEID_UID_SECRET = env.str("RADCASE_DEID_UID_SECRET", default="")
# Budgets checked before any pixel is decoded (decompression bombs).
RADCASE_MAX_PIXELS_PER_FRAME = env.int("RADCASE_MAX_PIXELS_PER_FRAME", default=100_000_000)
RADCASE_MAX_VOXELS_PER_FILE = env.int("RADCASE_MAX_VOXELS_PER_FILE", default=600_000_000)
RADCASE_MAX_DECOMPRESSED_MB = env.int("RADCASE_MAX_DECOMPRESSED_MB", default=2048)
# How long rendered PNGs and raw slices stay in the cache.
RADCASE_RENDER_CACHE_TTL_S = env.int("RADCASE_RENDER_CACHE_TTL_S", default=3600)

# --- ML model ---------------------------------------------------------------
RADCASE_MODEL_CHECKPOINT = Path(
    env.str(
        "RADCASE_MODEL_CHECKPOINT",
        default=str(BASE_DIR / "ml" / "models" / "default" / "model.pt"),
    )
)

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- logging ----------------------------------------------------------------
RADCASE_LOG_FORMAT = env.str("RADCASE_LOG_FORMAT", default="text")  # text | json
RADCASE_LOG_LEVEL = env.str("RADCASE_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": RADCASE_LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": RADCASE_LOG_LEVEL},
    "loggers": {
        # Django's own per-request line is replaced by radcase.request, which
        # carries user id and duration and never the query string.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "radcase.request": {"level": "INFO", "propagate": True},
    },
}
