#!/usr/bin/env python
"""Django's command-line utility for RadCase.

The Django project package (`config`) lives in `platform/`, which is a plain
folder rather than a package so that it never hides Python's stdlib
`platform` module. We put it on sys.path here (and in pytest's config, the
Celery command line and the Dockerfile).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    for path in (ROOT / "platform", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
