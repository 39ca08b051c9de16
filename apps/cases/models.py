from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


class Sex(models.TextChoices):
    """DICOM PatientSex values."""

    MALE = "M", "Male"
    FEMALE = "F", "Female"
    OTHER = "O", "Other"
    UNKNOWN = "U", "Unknown"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    STAT = "stat", "STAT"


# Worklist order: STAT first, then urgent, then routine.
URGENCY_RANK = {Urgency.STAT: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    REPORTED = "reported", "Reported"
    SIGNED = "signed", "Signed"
    AMENDED = "amended", "Amended"


class Modality(models.TextChoices):
    """DICOM modality codes RadCase cases use."""

    MR = "MR", "Magnetic resonance"
    CT = "CT", "Computed tomography"
    CR = "CR", "Computed radiography"
    DX = "DX", "Digital radiography"
    US = "US", "Ultrasound"
    PT = "PT", "PET"
    NM = "NM", "Nuclear medicine"
    MG = "MG", "Mammography"
    XA = "XA", "X-ray angiography"
    OT = "OT", "Other"


class Patient(models.Model):
    """A patient. Every field but `site` is protected health information: it is
    shown only to users who may see one of the patient's cases, every read is
    audited, and logs never carry it."""

    site = models.CharField(max_length=64, default="default")
    mrn = models.CharField("MRN", max_length=64)
    name = models.CharField(max_length=200)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "mrn"], name="unique_mrn_per_site"),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="patient_sex_known"),
            models.CheckConstraint(condition=~Q(mrn=""), name="patient_mrn_not_empty"),
        ]
        indexes = [models.Index(fields=["name"], name="patient_name_idx")]

    def __str__(self) -> str:
        return f"Patient #{self.pk}"  # never the name: __str__ ends up in logs


def new_pseudonym() -> str:
    """A random case pseudonym such as RC-7KQ2M9XD4TFA, used in place of the
    patient's name and ID inside de-identified images."""
    return "RC-" + base64.b32encode(secrets.token_bytes(8)).decode().rstrip("=")[:12]


class Case(models.Model):
    """An imaging case: a referring doctor's question about a patient's images.

    Status changes only through `apps.cases.services`, which check who may do
    what and stamp the time of each transition:
    draft → submitted → in_review → reported → signed → amended.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases")
    referring_doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                         related_name="referred_cases")
    assigned_radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="assigned_cases")
    modality = models.CharField(max_length=8, choices=Modality.choices)
    body_part = models.CharField(max_length=64)
    clinical_question = models.TextField(blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    pseudonym = models.CharField(max_length=32, unique=True, default=new_pseudonym)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    in_review_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    amended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values),
                                   name="case_urgency_known"),
            models.CheckConstraint(condition=Q(status__in=Status.values),
                                   name="case_status_known"),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(submitted_at__isnull=False),
                name="case_submitted_has_time"),
            models.CheckConstraint(
                condition=Q(status__in=[Status.DRAFT, Status.SUBMITTED])
                | Q(assigned_radiologist__isnull=False),
                name="case_in_review_has_radiologist"),
        ]
        indexes = [
            models.Index(fields=["status", "urgency", "submitted_at"], name="case_worklist_idx"),
            models.Index(fields=["assigned_radiologist", "status"], name="case_assignee_idx"),
            models.Index(fields=["referring_doctor", "status"], name="case_referrer_idx"),
        ]

    def __str__(self) -> str:
        return f"Case #{self.pk} ({self.pseudonym})"
