"""Celery: queues, reliability settings and enqueue-on-commit."""

import pytest
from django.conf import settings
from django.db import transaction

from apps.core.tasks import enqueue_on_commit
from config.celery import app


def test_there_are_default_inference_and_reports_queues():
    assert {q.name for q in app.conf.task_queues} == {"default", "inference", "reports"}
    assert app.conf.task_default_queue == "default"


def test_model_work_and_reports_are_routed_to_their_own_queues():
    routes = app.conf.task_routes
    assert routes["apps.diagnoses.tasks.*"] == {"queue": "inference"}
    assert routes["apps.reports.tasks.*"] == {"queue": "reports"}


def test_work_survives_a_dying_worker():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_time_limits_are_set_and_redis_waits_longer_than_the_longest_task():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_without_a_broker_tasks_run_in_process():
    assert settings.CELERY_TASK_ALWAYS_EAGER is True


@pytest.mark.django_db(transaction=True)
def test_a_task_is_sent_only_after_the_transaction_commits(monkeypatch):
    sent = []

    class FakeTask:
        def apply_async(self, args, kwargs):
            sent.append((args, kwargs))

    with transaction.atomic():
        enqueue_on_commit(FakeTask(), 42, flag=True)
        assert sent == []
    assert sent == [((42,), {"flag": True})]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing():
    sent = []

    class FakeTask:
        def apply_async(self, args, kwargs):
            sent.append(args)

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(FakeTask(), 1)
        raise RuntimeError
    assert sent == []
