from celery import shared_task

from .services import audit_chain_verify_and_record


@shared_task(name="apps.audit.tasks.audit_chain_verify")
def audit_chain_verify() -> int:
    """Verify the audit chain in the background (e.g. nightly from cron or
    celery beat) and record the outcome in the trail. Returns the event id."""
    return audit_chain_verify_and_record().pk
