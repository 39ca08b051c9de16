"""A real Celery worker process picks up a task enqueued on commit."""

import time

import pytest

from apps.audit import tasks
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.core.tasks import enqueue_on_commit
from tests.support.celery_worker import running_worker

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_runs_the_audit_verification_enqueued_on_commit(radiologist):
    from django.db import transaction

    with running_worker(queues="default"):
        with transaction.atomic():
            audit_record(actor=radiologist, action="case.viewed", patient=1)
            enqueue_on_commit(tasks.audit_chain_verify)
        assert _wait_for(lambda: AuditEvent.objects.filter(action="audit.chain_verified").exists())
    event = AuditEvent.objects.get(action="audit.chain_verified")
    # the worker saw the committed rows: the user creation and the view
    assert event.details["intact"] is True
    assert event.details["checked"] == 2


def test_the_worker_answers_on_the_broker_with_its_queues(radiologist):
    from config.celery import app

    with running_worker(queues="default,inference,reports") as proc:
        replies = app.control.inspect(timeout=2).active_queues() or {}
        assert proc.poll() is None
    queues = {q["name"] for worker in replies.values() for q in worker}
    assert {"default", "inference", "reports"} <= queues
