"""`manage.py demo`: migrate, create demo data, start a worker when a broker is
configured, then serve on http://127.0.0.1:8000 (what `make demo` runs)."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Set up and run RadCase with demo data on this machine."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        db = settings.DATABASES["default"]
        self.stdout.write(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} ({db['NAME']})")
        self.stdout.write(f"Cache:    {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo")
        worker = None
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write("Broker configured: starting a Celery worker on all queues.")
            root = settings.BASE_DIR
            env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'platform'}"}
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker",
                 "-Q", "default,inference,reports", "--concurrency", "1", "--loglevel", "INFO"],
                cwd=root, env=env)
        else:
            self.stdout.write("No broker configured: tasks run in-process.")
        self.stdout.write(self.style.SUCCESS(f"RadCase is starting at http://{addrport}/"))
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=20)
