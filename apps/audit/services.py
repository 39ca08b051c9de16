"""The one audit service. Every app records every read or write of patient
data, every login and every refused access through `audit_record`, inside the
same transaction as the change it describes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.core.request_info import client_ip, user_agent

from . import actions
from .chain import GENESIS_HASH, canonical_details, canonical_ip, compute_hash
from .models import AuditEvent

if TYPE_CHECKING:
    from apps.accounts.models import User

# Serialises appends so that the chain stays linear: the lock is held until
# the surrounding transaction commits, so ids, times and links agree.
_CHAIN_LOCK_ID = 0x52414443  # "RADC"


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
    # SQLite (embedded default) takes its database-wide write lock at BEGIN
    # IMMEDIATE (settings), which serialises appends the same way.


def _ref(value: models.Model | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


@dataclass(frozen=True)
class AuditEntry:
    """One event for `audit_record_many` (same meaning as audit_record's arguments)."""

    action: str
    target: models.Model | None = None
    target_type: str = ""
    target_id: int | str | None = None
    patient: models.Model | int | str | None = None
    details: dict[str, Any] | None = None


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: int | str | None = None,
    patient: models.Model | int | str | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event and return it.

    `target` is the object acted on (its type and id are recorded); for an
    action on something that is not a model row, pass `target_type` and
    `target_id`. `patient` is the patient whose data was read or changed
    (recorded by primary key, never by name). `request` supplies the client
    address and user agent. Call inside the transaction of the change.
    """
    entry = AuditEntry(action=action, target=target, target_type=target_type,
                       target_id=target_id, patient=patient, details=details)
    return audit_record_many(actor=actor, entries=[entry], request=request)[0]


def audit_record_many(
    *, actor: User | None, entries: list[AuditEntry], request: HttpRequest | None = None,
) -> list[AuditEvent]:
    """Append several events by one actor in one request (e.g. every case on a
    worklist page) under a single lock and a single INSERT."""
    if not entries:
        return []
    actor_is_user = actor is not None and getattr(actor, "pk", None) is not None
    ip = canonical_ip(client_ip(request))
    agent = user_agent(request)
    with transaction.atomic():
        _lock_chain()
        prev_hash = (
            AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
            or GENESIS_HASH
        )
        now = timezone.now()
        events = []
        for entry in entries:
            target_type, target_id = entry.target_type, entry.target_id
            if entry.target is not None:
                target_type = entry.target._meta.label_lower
                target_id = entry.target.pk
            fields = {
                "occurred_at": now,
                "actor_id": actor.pk if actor_is_user else None,
                "actor_username": actor.get_username() if actor_is_user else "",
                "action": entry.action,
                "target_type": target_type,
                "target_id": _ref(target_id),
                "patient_ref": _ref(entry.patient),
                "ip": ip,
                "user_agent": agent,
                "details": canonical_details(entry.details),
            }
            digest = compute_hash(fields, prev_hash)
            events.append(AuditEvent(**fields, prev_hash=prev_hash, hash=digest))
            prev_hash = digest
        return AuditEvent.objects.bulk_create(events)


def audit_access_refused(*, request: HttpRequest, status_code: int, reason: str) -> AuditEvent:
    """Record a refused API request (401/403): who, what path, why."""
    user = getattr(request, "user", None)
    return audit_record(
        actor=user if user is not None and user.is_authenticated else None,
        action=actions.ACCESS_REFUSED,
        target_type="http.request",
        request=request,
        details={"method": request.method, "path": request.path,
                 "status": status_code, "reason": reason[:200]},
    )


def audit_chain_verify_and_record() -> AuditEvent:
    """Verify the whole hash chain and append the outcome to the trail itself,
    so that periodic verifications (a Celery task) leave evidence."""
    from .chain import verify_chain
    from .selectors import audit_chain_rows

    report = verify_chain(audit_chain_rows())
    return audit_record(
        actor=None, action=actions.AUDIT_CHAIN_VERIFIED, target_type="audit.chain",
        details={"intact": report.intact, "checked": report.checked,
                 "broken_at": report.broken_at, "reason": report.reason},
    )
