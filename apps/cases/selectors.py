"""Reads of patients and cases, always scoped to the requesting user and
audited: every patient or case a user is shown leaves a row in the trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from apps.audit.services import AuditEntry, audit_record, audit_record_many

from . import policies
from .models import URGENCY_RANK, Case, Patient

if TYPE_CHECKING:
    from collections.abc import Iterable

    from apps.accounts.models import User


def visible_cases(user: User) -> QuerySet[Case]:
    q = policies.visible_cases_q(user)
    qs = Case.objects.all()
    return qs if q is None else qs.filter(q)


def visible_patients(user: User) -> QuerySet[Patient]:
    """Patients of cases the user may see; referring doctors also see the
    patients they registered; administrators see everyone."""
    if user.is_authenticated and user.is_admin:
        return Patient.objects.all()
    q = Q(pk__in=visible_cases(user).values("patient_id"))
    if user.is_authenticated and user.is_referring_doctor:
        q |= Q(created_by=user)
    return Patient.objects.filter(q)


@dataclass(frozen=True)
class WorklistFilters:
    statuses: tuple[str, ...] = ()
    urgencies: tuple[str, ...] = ()
    modality: str = ""
    assigned_to_me: bool = False
    unassigned: bool = False
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    search: str = ""  # MRN (exact prefix) or patient name (contains)


def worklist(*, user: User, filters: WorklistFilters) -> QuerySet[Case]:
    """The cases `user` may see, filtered, ordered STAT → urgent → routine and
    then by waiting time (longest first), with everything a worklist row shows
    in one query (patient, people, image count)."""
    qs = visible_cases(user)
    if filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    if filters.urgencies:
        qs = qs.filter(urgency__in=filters.urgencies)
    if filters.modality:
        qs = qs.filter(modality=filters.modality)
    if filters.assigned_to_me:
        qs = qs.filter(assigned_radiologist=user)
    if filters.unassigned:
        qs = qs.filter(assigned_radiologist__isnull=True)
    if filters.submitted_from:
        qs = qs.filter(submitted_at__date__gte=filters.submitted_from)
    if filters.submitted_to:
        qs = qs.filter(submitted_at__date__lte=filters.submitted_to)
    if filters.search.strip():
        term = filters.search.strip()
        qs = qs.filter(Q(patient__mrn__istartswith=term) | Q(patient__name__icontains=term))
    return (
        qs.select_related("patient", "referring_doctor", "assigned_radiologist")
        .annotate(
            urgency_rank=SqlCase(*[When(urgency=u, then=Value(r)) for u, r in URGENCY_RANK.items()],
                                 output_field=IntegerField()),
            waiting_since=Coalesce("submitted_at", "created_at"),
            image_count=Count("images", distinct=True),
        )
        .order_by("urgency_rank", "waiting_since", "id")
    )


def audit_cases_listed(*, user: User, cases: Iterable[Case], request: HttpRequest | None) -> None:
    """One audit row per case shown on a list page (so that "who saw patient
    X" finds list views too), written in one insert."""
    audit_record_many(actor=user, request=request, entries=[
        AuditEntry(action="case.listed", target=c, patient=c.patient_id) for c in cases])


def case_get(*, user: User, case_id: int, request: HttpRequest | None,
             action: str = "case.viewed", for_update: bool = False) -> Case:
    """The case if `user` may see it (404 otherwise), audited as `action`."""
    qs = visible_cases(user).select_related("patient", "referring_doctor",
                                            "assigned_radiologist")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    case = qs.filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case.")
    if action:
        audit_record(actor=user, action=action, target=case, patient=case.patient_id,
                     request=request)
    return case


def patient_list(*, user: User, search: str = "") -> QuerySet[Patient]:
    qs = visible_patients(user)
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(mrn__istartswith=term) | Q(name__icontains=term))
    return qs.order_by("name", "id")


def audit_patients_listed(*, user: User, patients: Iterable[Patient],
                          request: HttpRequest | None) -> None:
    audit_record_many(actor=user, request=request, entries=[
        AuditEntry(action="patient.listed", target=p, patient=p.pk) for p in patients])


def patient_get(*, user: User, patient_id: int, request: HttpRequest | None) -> Patient:
    patient = visible_patients(user).filter(pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient.")
    audit_record(actor=user, action="patient.viewed", target=patient, patient=patient,
                 request=request)
    return patient
