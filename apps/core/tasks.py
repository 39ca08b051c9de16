"""Enqueueing Celery tasks: only ever after the surrounding transaction commits.

A task enqueued before commit could run against rows that don't exist yet
(or never will, if the transaction rolls back), so every app enqueues through
`enqueue_on_commit`.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import transaction


def enqueue_on_commit(task: Task, /, *args: Any, using: str | None = None, **kwargs: Any) -> None:
    """Send `task` with these arguments once the current transaction commits
    (at once when there is none). Arguments must be primary keys and plain
    values, never model instances."""
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs), using=using)
