"""Who may see and do what with cases: the single place these rules live.

Visibility (read): a referring doctor sees the cases they created; a
radiologist sees the cases assigned to them and the unassigned pool
(submitted, nobody assigned); an administrator sees all. A user with several
roles sees the union. Anyone else gets 404 for the object, never 403, so that
existence does not leak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from .models import Case, Status

if TYPE_CHECKING:
    from apps.accounts.models import User


def visible_cases_q(user: User) -> Q | None:
    """A filter for the cases `user` may see; None means all of them."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return None
    q = Q(pk__in=[])
    if user.is_referring_doctor:
        q |= Q(referring_doctor=user)
    if user.is_radiologist:
        q |= Q(assigned_radiologist=user)
        q |= Q(assigned_radiologist__isnull=True, status=Status.SUBMITTED)
    return q


def can_see_case(user: User, case: Case) -> bool:
    q = visible_cases_q(user)
    return q is None or Case.objects.filter(q, pk=case.pk).exists()


def can_edit_case(user: User, case: Case) -> bool:
    """Clinical fields change while nobody has started reading."""
    return case.status in (Status.DRAFT, Status.SUBMITTED) and (
        user.is_admin or (user.is_referring_doctor and case.referring_doctor_id == user.pk))


def can_add_images(user: User, case: Case) -> bool:
    """The referring doctor until the report is signed, the assigned radiologist
    while reading (e.g. a prior exam for comparison), or an administrator."""
    if case.status in (Status.SIGNED, Status.AMENDED):
        return False
    if user.is_admin:
        return True
    if user.is_referring_doctor and case.referring_doctor_id == user.pk:
        return True
    return user.is_radiologist and case.assigned_radiologist_id == user.pk
