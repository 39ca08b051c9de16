"""Wait until the database accepts connections (used by deploy/entrypoint.sh).

Retries Django's default database connection every second for up to
RADCASE_DB_WAIT_S seconds (default 60), then exits 0, or 1 with the last
error. Compose's `depends_on: condition: service_healthy` already orders
start-up; this covers the other cases (a database restarted under the app,
orchestrators without dependency ordering).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    for path in (ROOT, ROOT / "platform"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

    import django

    django.setup()
    from django.db import connections
    from django.db.utils import OperationalError

    timeout = float(os.environ.get("RADCASE_DB_WAIT_S") or 60)
    deadline = time.monotonic() + timeout
    connection = connections["default"]
    attempt = 0
    while True:
        attempt += 1
        try:
            connection.ensure_connection()
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                print(f"wait_for_db: database unreachable after {timeout:g}s "
                      f"({attempt} attempts): {exc}".strip(), file=sys.stderr)
                return 1
            if attempt == 1:
                print("wait_for_db: waiting for the database...", file=sys.stderr)
            time.sleep(1)
        else:
            connection.close()
            return 0


if __name__ == "__main__":
    sys.exit(main())
