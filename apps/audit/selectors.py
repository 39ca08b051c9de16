from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.core.errors import ForbiddenError

from .models import AuditEvent

if TYPE_CHECKING:
    from apps.accounts.models import User


def audit_event_list(*, user: User) -> QuerySet[AuditEvent]:
    """The audit trail, for administrators only."""
    if not user.is_admin:
        raise ForbiddenError("Only administrators may read the audit trail.")
    return AuditEvent.objects.select_related("actor").order_by("-id")


def audit_chain_rows(*, batch_size: int = 2000):
    """Every event as a dict, in id order, streamed (for `audit_verify`)."""
    return (
        AuditEvent.objects.order_by("id")
        .values("id", "prev_hash", "hash", "occurred_at", "actor_id", "actor_username",
                "action", "target_type", "target_id", "patient_ref", "ip", "user_agent",
                "details")
        .iterator(chunk_size=batch_size)
    )
