"""gunicorn configuration for RadCase (used by deploy/entrypoint.sh's `web` role).

Every setting can be changed through an environment variable:

    GUNICORN_BIND                  address to listen on          (0.0.0.0:8000)
    GUNICORN_WORKERS               worker processes              (3)
    GUNICORN_THREADS               threads per worker (gthread)  (4)
    GUNICORN_TIMEOUT               seconds a request may take    (300)
    GUNICORN_FORWARDED_ALLOW_IPS   proxies trusted for X-Forwarded-* (*)
    GUNICORN_LOG_LEVEL             error-log level               (info)

nginx terminates TLS and buffers whole request bodies (uploads up to
RADCASE_MAX_UPLOAD_MB) before passing them on, so a slow client never holds
a gunicorn thread. The access log is off: the app writes one JSON line per
request itself (radcase.request).
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _str(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


wsgi_app = "config.wsgi:application"
bind = [_str("GUNICORN_BIND", "0.0.0.0:8000")]
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 3)
threads = _int("GUNICORN_THREADS", 4)
# Uploads of many DICOM files are parsed (and de-identified) inside the request;
# nginx's proxy_read_timeout is set to the same value.
timeout = _int("GUNICORN_TIMEOUT", 300)
graceful_timeout = 30
keepalive = 75  # longer than nginx's upstream keepalive_timeout (60s)
# Recycle workers now and then to bound slow memory growth (image decoding).
max_requests = 1000
max_requests_jitter = 100
# The heartbeat file on tmpfs: a container's overlay file system can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (gunicorn's own advice)

# The web port is reachable only on the compose network, from nginx; the
# container's address is not known in advance, hence "*" by default.
forwarded_allow_ips = _str("GUNICORN_FORWARDED_ALLOW_IPS", "*")

accesslog = None
errorlog = "-"
loglevel = _str("GUNICORN_LOG_LEVEL", "info")
capture_output = False
