"""The Celery application.

Queues: `default`, `inference` (GPU/CPU model work) and `reports` (PDF
rendering), so each kind of worker can be scaled on its own machine. All
reliability settings (late ack, reject on worker lost, prefetch 1, time
limits, visibility timeout) live in the settings module under `CELERY_*`.
Tasks are enqueued only through `apps.core.tasks.enqueue_on_commit`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = Celery("radcase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
