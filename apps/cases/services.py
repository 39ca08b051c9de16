"""Writes to patients and cases. Keyword-only, atomic, audited; every status
change checks who may make it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import ConflictError, ForbiddenError, ServiceError

from . import policies
from .models import Case, Patient, Sex, Status, Urgency

if TYPE_CHECKING:
    from collections.abc import Iterable


class TransitionError(ConflictError):
    code = "invalid_transition"


def _site() -> str:
    return settings.RADCASE_SITE_ID


# --- patients ---------------------------------------------------------------

def _check_patient_fields(*, name: str, birth_date: dt.date | None, sex: str) -> None:
    if not name.strip():
        raise ServiceError("The patient's name is required.", code="invalid",
                           details={"name": ["This field may not be blank."]})
    if birth_date is not None and birth_date > timezone.localdate():
        raise ServiceError("The birth date is in the future.", code="invalid",
                           details={"birth_date": ["The birth date is in the future."]})
    if sex not in Sex.values:
        raise ServiceError(f"Unknown sex '{sex}'; use one of {', '.join(Sex.values)}.",
                           code="invalid")


@transaction.atomic
def patient_create(
    *, created_by: User, mrn: str, name: str, birth_date: dt.date | None = None,
    sex: str = Sex.UNKNOWN, request: HttpRequest | None = None,
) -> Patient:
    if not (created_by.is_referring_doctor or created_by.is_admin):
        raise ForbiddenError("Only referring doctors and administrators register patients.")
    mrn = mrn.strip()
    if not mrn:
        raise ServiceError("The MRN is required.", code="invalid",
                           details={"mrn": ["This field may not be blank."]})
    _check_patient_fields(name=name, birth_date=birth_date, sex=sex)
    if Patient.objects.filter(site=_site(), mrn=mrn).exists():
        raise ConflictError(f"A patient with MRN {mrn} already exists at this site.",
                            code="mrn_taken")
    try:
        with transaction.atomic():
            patient = Patient.objects.create(site=_site(), mrn=mrn, name=name.strip(),
                                             birth_date=birth_date, sex=sex,
                                             created_by=created_by)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ConflictError(f"A patient with MRN {mrn} already exists at this site.",
                            code="mrn_taken") from exc
    audit_record(actor=created_by, action="patient.created", target=patient, patient=patient,
                 request=request)
    return patient


def _same_person(patient: Patient, name: str, birth_date: dt.date | None) -> bool:
    def norm(s: str) -> str:
        return " ".join(s.replace(",", " ").replace("^", " ").lower().split())
    same_name = sorted(norm(patient.name).split()) == sorted(norm(name).split())
    same_birth = birth_date is None or patient.birth_date is None or \
        patient.birth_date == birth_date
    return same_name and same_birth


@transaction.atomic
def patient_get_or_register(
    *, user: User, mrn: str, name: str, birth_date: dt.date | None = None,
    sex: str = Sex.UNKNOWN, request: HttpRequest | None = None,
) -> Patient:
    """The patient with this MRN at this site, registering them if new.

    A referring doctor enters MRN and demographics for a new case. If the MRN
    is known, the demographics must match (name words in any order, birth
    date) — otherwise it is probably a typo in the MRN, and we say so rather
    than attach the case to someone else."""
    existing = Patient.objects.filter(site=_site(), mrn=mrn.strip()).first()
    if existing is None:
        return patient_create(created_by=user, mrn=mrn, name=name, birth_date=birth_date,
                              sex=sex, request=request)
    if not _same_person(existing, name, birth_date):
        raise ConflictError(
            f"MRN {mrn.strip()} belongs to a patient whose name or birth date differ from "
            "what you entered. Check the MRN.", code="patient_mismatch")
    return existing


# --- cases ------------------------------------------------------------------

_CASE_FIELDS = ("modality", "body_part", "clinical_question", "urgency")


@transaction.atomic
def case_create(
    *, created_by: User, patient: Patient, modality: str, body_part: str,
    clinical_question: str = "", urgency: str = Urgency.ROUTINE,
    request: HttpRequest | None = None,
) -> Case:
    if not created_by.is_referring_doctor:
        raise ForbiddenError("Only referring doctors create cases.")
    case = Case.objects.create(
        patient=patient, referring_doctor=created_by, modality=modality,
        body_part=body_part.strip().upper(), clinical_question=clinical_question.strip(),
        urgency=urgency)
    audit_record(actor=created_by, action="case.created", target=case, patient=patient,
                 request=request, details={"urgency": urgency, "modality": modality})
    return case


@transaction.atomic
def case_update(
    *, updated_by: User, case: Case, request: HttpRequest | None = None, **changes: Any,
) -> Case:
    unknown = set(changes) - set(_CASE_FIELDS)
    if unknown:
        raise ServiceError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not policies.can_edit_case(updated_by, case):
        raise ForbiddenError("This case can no longer be edited by you "
                             f"(status {case.get_status_display()}).")
    changed = {}
    for field, value in changes.items():
        if field == "body_part":
            value = value.strip().upper()
        if getattr(case, field) != value:
            setattr(case, field, value)
            changed[field] = value
    if changed:
        case.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=updated_by, action="case.updated", target=case,
                     patient=case.patient_id, request=request,
                     details={"fields": sorted(changed)})
    return case


def _transition(case: Case, *, allowed_from: Iterable[str], to: str, actor: User,
                action: str, request: HttpRequest | None, **set_fields: Any) -> Case:
    if case.status not in allowed_from:
        raise TransitionError(
            f"A case that is {case.get_status_display().lower()} cannot become "
            f"{Status(to).label.lower()}.")
    case.status = to
    for field, value in set_fields.items():
        setattr(case, field, value)
    case.save()
    audit_record(actor=actor, action=action, target=case, patient=case.patient_id,
                 request=request, details={"status": to})
    return case


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def case_submit(*, submitted_by: User, case: Case, request: HttpRequest | None = None) -> Case:
    case = _locked(case)
    if not (submitted_by.is_referring_doctor and case.referring_doctor_id == submitted_by.pk):
        raise ForbiddenError("Only the referring doctor who created the case submits it.")
    if not case.images.exists():
        raise ServiceError("Upload at least one image before submitting the case.",
                           code="no_images")
    return _transition(case, allowed_from=[Status.DRAFT], to=Status.SUBMITTED,
                       actor=submitted_by, action="case.submitted", request=request,
                       submitted_at=timezone.now())


@transaction.atomic
def case_claim(*, radiologist: User, case: Case, request: HttpRequest | None = None) -> Case:
    """A radiologist takes an unassigned case from the pool."""
    case = _locked(case)
    if not radiologist.is_radiologist:
        raise ForbiddenError("Only radiologists claim cases.")
    if case.assigned_radiologist_id is not None:
        raise ConflictError("This case is already assigned to a radiologist.",
                            code="already_assigned")
    return _transition(case, allowed_from=[Status.SUBMITTED], to=Status.IN_REVIEW,
                       actor=radiologist, action="case.claimed", request=request,
                       assigned_radiologist=radiologist, in_review_at=timezone.now())


@transaction.atomic
def case_assign(
    *, assigned_by: User, case: Case, radiologist: User, request: HttpRequest | None = None,
) -> Case:
    """An administrator assigns (or reassigns) a case to a radiologist."""
    case = _locked(case)
    if not assigned_by.is_admin:
        raise ForbiddenError("Only administrators assign cases.")
    if not radiologist.is_radiologist:
        raise ServiceError(f"{radiologist.get_username()} is not an active radiologist.",
                           code="not_a_radiologist")
    return _transition(case, allowed_from=[Status.SUBMITTED, Status.IN_REVIEW],
                       to=Status.IN_REVIEW, actor=assigned_by, action="case.assigned",
                       request=request, assigned_radiologist=radiologist,
                       in_review_at=case.in_review_at or timezone.now())


@transaction.atomic
def case_release(*, released_by: User, case: Case, request: HttpRequest | None = None) -> Case:
    """The assigned radiologist (or an administrator) puts a case back in the pool."""
    case = _locked(case)
    if not (released_by.is_admin or case.assigned_radiologist_id == released_by.pk):
        raise ForbiddenError("Only the assigned radiologist or an administrator releases a case.")
    return _transition(case, allowed_from=[Status.IN_REVIEW], to=Status.SUBMITTED,
                       actor=released_by, action="case.released", request=request,
                       assigned_radiologist=None, in_review_at=None)


def _require_assignee(user: User, case: Case, verb: str) -> None:
    if not (user.is_radiologist and case.assigned_radiologist_id == user.pk):
        raise ForbiddenError(f"Only the assigned radiologist {verb} this case.")


@transaction.atomic
def case_mark_reported(*, radiologist: User, case: Case,
                       request: HttpRequest | None = None) -> Case:
    case = _locked(case)
    _require_assignee(radiologist, case, "reports")
    return _transition(case, allowed_from=[Status.IN_REVIEW], to=Status.REPORTED,
                       actor=radiologist, action="case.reported", request=request,
                       reported_at=timezone.now())


@transaction.atomic
def case_sign(*, radiologist: User, case: Case, request: HttpRequest | None = None) -> Case:
    case = _locked(case)
    _require_assignee(radiologist, case, "signs")
    return _transition(case, allowed_from=[Status.REPORTED], to=Status.SIGNED,
                       actor=radiologist, action="case.signed", request=request,
                       signed_at=timezone.now())


@transaction.atomic
def case_amend(*, radiologist: User, case: Case, request: HttpRequest | None = None) -> Case:
    case = _locked(case)
    _require_assignee(radiologist, case, "amends")
    return _transition(case, allowed_from=[Status.SIGNED, Status.AMENDED], to=Status.AMENDED,
                       actor=radiologist, action="case.amended", request=request,
                       amended_at=timezone.now())
