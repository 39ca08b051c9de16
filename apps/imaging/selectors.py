"""Reads of studies, series and images: scoped to the requesting user (via
the case rules) and audited. 404 for anything the user may not see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest

from apps.audit.services import audit_record
from apps.cases.selectors import case_get, visible_cases
from apps.core.errors import ForbiddenError

from .models import ImageInstance, Series

if TYPE_CHECKING:
    from apps.accounts.models import User


def visible_images(user: User) -> QuerySet[ImageInstance]:
    return ImageInstance.objects.filter(case__in=visible_cases(user))


def may_read_held_pixels(user: User) -> bool:
    """Images held for review (burned-in annotation, secondary capture) are
    shown only to the people who review them."""
    return user.is_admin or user.is_radiologist


def image_get(*, user: User, image_id: int, request: HttpRequest | None,
              action: str = "image.viewed", pixels: bool = False,
              details: dict | None = None) -> ImageInstance:
    image = (visible_images(user).select_related("case", "series").filter(pk=image_id).first())
    if image is None:
        raise Http404("No such image.")
    if pixels and image.is_held and not may_read_held_pixels(user):
        raise ForbiddenError("This image is held for review (" + image.review_reason + ") "
                             "until a radiologist or administrator releases it.",
                             code="held_for_review")
    audit_record(actor=user, action=action, target=image, patient=image.case.patient_id,
                 request=request, details=details)
    return image


def _ordered_instances() -> QuerySet[ImageInstance]:
    return ImageInstance.objects.order_by("instance_number", "id")


def case_series_list(*, user: User, case_id: int, request: HttpRequest | None) -> QuerySet[Series]:
    """The studies/series of a case with their instance counts (audited as one
    read of the case's images)."""
    case = case_get(user=user, case_id=case_id, request=request, action="case.images_listed")
    return (Series.objects.filter(case=case).select_related("study")
            .annotate(instance_count=Count("instances"))
            .prefetch_related(Prefetch("instances", queryset=_ordered_instances()))
            .order_by("study__study_date", "study_id", "series_number", "id"))


def series_get(*, user: User, series_id: int, request: HttpRequest | None) -> Series:
    series = (Series.objects.filter(case__in=visible_cases(user), pk=series_id)
              .select_related("study", "case")
              .prefetch_related(Prefetch("instances", queryset=_ordered_instances()))
              .first())
    if series is None:
        raise Http404("No such series.")
    audit_record(actor=user, action="series.viewed", target=series,
                 patient=series.case.patient_id, request=request)
    return series
