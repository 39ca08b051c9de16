"""Writes to imaging: ingest of uploaded files, review of held images.

Ingest is all-or-nothing per request. Every uploaded file (and every member of
an uploaded zip) is written to a temporary folder, detected by content,
validated against the pixel/voxel budgets and decoded (apps.imaging.conversion,
no Django). Only when every file passed are they de-identified (or have their
DICOM preamble zeroed), stored under generated names and recorded, in one
transaction; if anything fails after a file was stored, the stored files are
deleted again. A rejected upload leaves no row and no file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest
from pydicom.uid import generate_uid

from apps.accounts.models import User
from apps.audit.services import AuditEntry, audit_record, audit_record_many
from apps.cases import policies as case_policies
from apps.cases.models import Case
from apps.core.errors import ForbiddenError, ServiceError

from . import storage
from .conversion.archive import extract_archive
from .conversion.deid import deidentify_dicom
from .conversion.inspect import inspect, sanitize_dicom_preamble
from .conversion.nifti import deidentify_nifti
from .conversion.raster import strip_raster_metadata
from .conversion.sniff import sniff
from .conversion.types import ContainerKind, ImageInfo, ImageKind, IngestLimits, RejectedFile
from .models import ImageInstance, ReviewStatus, Series, Study


def ingest_limits() -> IngestLimits:
    mb = 1024 * 1024
    return IngestLimits(
        max_file_bytes=settings.RADCASE_MAX_UPLOAD_MB * mb,
        max_pixels_per_frame=settings.RADCASE_MAX_PIXELS_PER_FRAME,
        max_voxels_per_file=settings.RADCASE_MAX_VOXELS_PER_FILE,
        max_decompressed_bytes=settings.RADCASE_MAX_DECOMPRESSED_MB * mb,
        max_archive_members=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        max_archive_total_bytes=settings.RADCASE_MAX_DECOMPRESSED_MB * mb,
    )


class UploadRejected(ServiceError):
    """One or more files were refused; nothing was stored. `details.files`
    lists each refused file with a code and a message."""

    code = "upload_rejected"

    def __init__(self, rejections: list[RejectedFile]) -> None:
        first = rejections[0]
        more = f" (and {len(rejections) - 1} more)" if len(rejections) > 1 else ""
        super().__init__(
            f"{first.filename}: {first.message}{more}. Nothing was stored.",
            details={"files": [{"file": r.filename, "code": r.code, "message": r.message}
                               for r in rejections]},
            status_code=413 if all(r.code == "file_too_large" for r in rejections) else 400,
        )


@dataclass
class IngestReport:
    created: list[ImageInstance] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # names of files already stored
    skipped: list[str] = field(default_factory=list)  # non-image members of archives
    held_for_review: int = 0


@dataclass
class _Staged:
    display_name: str
    path: Path
    source_sha256: str
    info: ImageInfo | None = None


def _display_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")) or "unnamed"
    return base[:200]


def _stage(files: Iterable[File], tmp: Path, limits: IngestLimits,
           report: IngestReport) -> tuple[list[_Staged], list[RejectedFile]]:
    """Copy uploads to `tmp`, unpack archives, detect and inspect every image."""
    staged: list[_Staged] = []
    rejected: list[RejectedFile] = []
    for index, upload in enumerate(files):
        name = _display_name(upload.name)
        if upload.size is not None and upload.size > limits.max_file_bytes:
            rejected.append(RejectedFile(
                name, f"is {upload.size / 2**20:.0f} MB; the limit is "
                      f"{limits.max_file_bytes // 2**20} MB per file", "file_too_large"))
            continue
        path = tmp / f"upload-{index}"
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            kind = sniff(path, name)
            if kind == ContainerKind.ZIP:
                unpack_dir = tmp / f"zip-{index}"
                unpack_dir.mkdir()
                extracted = extract_archive(path, unpack_dir, limits, name)
                report.skipped.extend(f"{name}/{s.name}" for s in extracted.skipped)
                for member_name, member_path in extracted:
                    staged.append(_Staged(f"{name}/{member_name}", member_path,
                                          storage.sha256_of(member_path)))
            else:
                staged.append(_Staged(name, path, storage.sha256_of(path)))
        except RejectedFile as exc:
            rejected.append(exc)
    for item in staged:
        try:
            if sniff(item.path, item.display_name) == ContainerKind.ZIP:
                raise RejectedFile(item.display_name, "is an archive inside an archive; "
                                   "upload the inner archive itself", "nested_archive")
            item.info = inspect(item.path, item.display_name, limits)
        except RejectedFile as exc:
            rejected.append(exc)
    return staged, rejected


def _derived_uid(*parts: str) -> str:
    """A 2.25 UID derived from the case and content: stable across re-uploads."""
    return generate_uid(prefix=None, entropy_srcs=[settings.RADCASE_DEID_UID_SECRET, *parts])


@transaction.atomic
def images_ingest(
    *, case: Case, uploaded_by: User, files: list[File], deidentify: bool | None = None,
    request: HttpRequest | None = None,
) -> IngestReport:
    """Validate, (de-identify,) store and index uploaded image files for `case`."""
    if not case_policies.can_add_images(uploaded_by, case):
        raise ForbiddenError("You may not add images to this case.")
    if not files:
        raise ServiceError("No files were uploaded. Send them as multipart field 'files'.",
                           code="no_files")
    if len(files) > settings.DATA_UPLOAD_MAX_NUMBER_FILES:
        raise ServiceError(f"Too many files in one request: {len(files)}; at most "
                           f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES}.", code="too_many_files")
    deidentify = settings.RADCASE_DEIDENTIFY_BY_DEFAULT if deidentify is None else deidentify
    limits = ingest_limits()
    report = IngestReport()
    stored_names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="radcase-ingest-") as tmpdir:
        staged, rejected = _stage(files, Path(tmpdir), limits, report)
        if rejected:
            raise UploadRejected(rejected)
        try:
            _store_all(case=case, uploaded_by=uploaded_by, staged=staged, deidentify=deidentify,
                       tmp=Path(tmpdir), report=report, stored_names=stored_names)
            audit_record_many(actor=uploaded_by, request=request, entries=[
                AuditEntry(action="image.uploaded", target=image, patient=case.patient_id,
                           details={"kind": image.kind, "deidentified": image.deidentified,
                                    "held": image.is_held})
                for image in report.created])
        except BaseException:
            # The rows roll back with the transaction; the files must go too.
            storage.delete_quietly(stored_names)
            raise
    return report


def _store_all(*, case: Case, uploaded_by: User, staged: list[_Staged], deidentify: bool,
               tmp: Path, report: IngestReport, stored_names: list[str]) -> None:
    existing_sources = set(case.images.values_list("source_sha256", flat=True))
    existing_sops = set(case.images.values_list("sop_instance_uid", flat=True))
    studies: dict[str, Study] = {}
    series_by_uid: dict[tuple[int, str], Series] = {}
    for index, item in enumerate(staged):
        info = item.info
        assert info is not None
        if item.source_sha256 in existing_sources:
            report.duplicates.append(item.display_name)
            continue
        existing_sources.add(item.source_sha256)
        held_reasons = []
        if info.burned_in_annotation:
            held_reasons.append("BurnedInAnnotation is YES")
        if info.is_secondary_capture:
            held_reasons.append("secondary capture (may carry burned-in text)")
        method = ""
        store_path = item.path
        if info.kind == ImageKind.DICOM:
            store_path = tmp / f"store-{index}.dcm"
            if deidentify:
                result = deidentify_dicom(item.path, store_path, pseudonym=case.pseudonym,
                                          uid_secret=settings.RADCASE_DEID_UID_SECRET)
                study_uid, series_uid = result.study_instance_uid, result.series_instance_uid
                sop_uid = result.sop_instance_uid
                method = result.method
                if result.held_for_review and result.review_reason:
                    held_reasons = result.review_reason.split("; ")
            else:
                sanitize_dicom_preamble(item.path, store_path)
                study_uid, series_uid = info.study_instance_uid, info.series_instance_uid
                sop_uid = info.sop_instance_uid
        else:
            if deidentify:
                # Header text, extensions and image metadata may name the
                # patient; the pixels are kept as they are.
                store_path = tmp / f"store-{index}"
                if info.kind == ImageKind.NIFTI:
                    method = deidentify_nifti(item.path, store_path)
                else:
                    method = strip_raster_metadata(item.path, store_path, info.kind)
            # A NIfTI or raster file is a series of its own; its UIDs derive
            # from its (uploaded) bytes so a re-upload is recognised.
            study_uid = _derived_uid(case.pseudonym, "non-dicom-study")
            series_uid = _derived_uid(case.pseudonym, "series", item.source_sha256)
            sop_uid = _derived_uid(case.pseudonym, "instance", item.source_sha256)
        if sop_uid in existing_sops:
            report.duplicates.append(item.display_name)
            continue
        existing_sops.add(sop_uid)

        study = studies.get(study_uid)
        if study is None:
            study, _ = Study.objects.get_or_create(
                case=case, study_instance_uid=study_uid,
                defaults={"description": "" if deidentify else info.study_description[:200],
                          "study_date": info.acquisition_date})
            studies[study_uid] = study
        series = series_by_uid.get((study.pk, series_uid))
        if series is None:
            series, _ = Series.objects.get_or_create(
                study=study, series_instance_uid=series_uid,
                defaults={"case": case, "kind": info.kind.value,
                          "modality": info.modality or case.modality,
                          "body_part": info.body_part or case.body_part,
                          "description": "" if deidentify and info.kind == ImageKind.NIFTI
                          else info.series_description[:200],
                          "series_number": info.series_number})
            series_by_uid[(study.pk, series_uid)] = series

        gz = info.kind == ImageKind.NIFTI and item.display_name.lower().endswith(".gz")
        name = storage.store_file(store_path, storage.generated_name(case.pk, info.kind, gz))
        stored_names.append(name)
        display = item.display_name
        if deidentify:
            display = f"{case.pseudonym}-{len(report.created) + 1:04d}{storage.EXTENSIONS[info.kind]}"
        image = ImageInstance.objects.create(
            case=case, series=series, sop_instance_uid=sop_uid,
            sop_class_uid=info.sop_class_uid or "", kind=info.kind.value,
            transfer_syntax_uid=info.transfer_syntax_uid or "",
            file=name, file_size=store_path.stat().st_size,
            sha256=storage.sha256_of(store_path), source_sha256=item.source_sha256,
            display_name=display, instance_number=info.instance_number,
            rows=info.rows, columns=info.columns, frames=info.frames, volumes=info.volumes,
            shape=list(info.shape), samples_per_pixel=info.samples_per_pixel,
            photometric_interpretation=info.photometric_interpretation,
            bits_stored=info.bits_stored,
            pixel_spacing=list(info.pixel_spacing) if info.pixel_spacing else None,
            slice_thickness=info.slice_thickness,
            spacing_between_slices=info.spacing_between_slices,
            image_orientation=list(info.image_orientation) if info.image_orientation else None,
            image_position=list(info.image_position) if info.image_position else None,
            orientation_codes=info.orientation_codes or "",
            rescale_slope=info.rescale_slope, rescale_intercept=info.rescale_intercept,
            window_center=info.window_center, window_width=info.window_width,
            window_source=info.window_source, acquisition_date=info.acquisition_date,
            deidentified=deidentify,
            deidentification_method=method,
            review_status=ReviewStatus.HELD if held_reasons else ReviewStatus.NONE,
            review_reason="; ".join(held_reasons)[:255],
            uploaded_by=uploaded_by,
        )
        report.created.append(image)
        report.held_for_review += bool(held_reasons)


@transaction.atomic
def image_release(*, image: ImageInstance, released_by: User,
                  request: HttpRequest | None = None) -> ImageInstance:
    """A radiologist or administrator has looked at a held image (burned-in
    annotation, secondary capture) and lets it be used."""
    if not (released_by.is_admin or released_by.is_radiologist):
        raise ForbiddenError("Only radiologists and administrators review held images.")
    if image.review_status != ReviewStatus.HELD:
        raise ServiceError("This image is not held for review.", code="not_held")
    image.review_status = ReviewStatus.RELEASED
    image.save(update_fields=["review_status"])
    audit_record(actor=released_by, action="image.released", target=image,
                 patient=image.case.patient_id, request=request,
                 details={"reason": image.review_reason})
    return image
