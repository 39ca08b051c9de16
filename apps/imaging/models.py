"""Study → Series → ImageInstance, grouped by DICOM UIDs.

A DICOM file is one instance (possibly multi-frame); a NIfTI file is one
instance in a series of its own whose frames are its slices; a PNG/JPEG/TIFF/
BMP is a one-image series. Non-DICOM files get generated UIDs so every row
has one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.cases.models import Case


class Study(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="studies")
    study_instance_uid = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    study_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "study_instance_uid"],
                                               name="unique_study_per_case")]
        ordering = ["study_date", "id"]

    def __str__(self) -> str:
        return f"Study #{self.pk}"


class Series(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="series")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="series")
    series_instance_uid = models.CharField(max_length=64)
    kind = models.CharField(max_length=8)  # dicom, nifti, png, jpeg, tiff, bmp
    modality = models.CharField(max_length=16, blank=True)
    body_part = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=200, blank=True)
    series_number = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "series_instance_uid"],
                                               name="unique_series_per_study")]
        ordering = ["series_number", "id"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"Series #{self.pk}"


class ReviewStatus(models.TextChoices):
    NONE = "none", "No review needed"
    HELD = "held", "Held for review"
    RELEASED = "released", "Released after review"


class ImageInstance(models.Model):
    """One stored image file and what ingest extracted from it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="images")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="instances")
    sop_instance_uid = models.CharField(max_length=64)
    sop_class_uid = models.CharField(max_length=64, blank=True)
    transfer_syntax_uid = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=8)
    # The stored file, under a generated name; never served at a public URL.
    file = models.FileField(upload_to="images/", max_length=255)
    file_size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)  # of the stored bytes
    source_sha256 = models.CharField(max_length=64)  # of the bytes as uploaded
    # The name it was uploaded under; when de-identified, a generated one
    # instead (file names often carry patient names).
    display_name = models.CharField(max_length=255)
    instance_number = models.IntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField()
    columns = models.PositiveIntegerField()
    frames = models.PositiveIntegerField(default=1)
    volumes = models.PositiveIntegerField(default=1)
    shape = models.JSONField(default=list)
    samples_per_pixel = models.PositiveSmallIntegerField(default=1)
    photometric_interpretation = models.CharField(max_length=32, default="MONOCHROME2")
    bits_stored = models.PositiveSmallIntegerField(null=True, blank=True)
    pixel_spacing = models.JSONField(null=True, blank=True)  # [row, column] mm
    slice_thickness = models.FloatField(null=True, blank=True)
    spacing_between_slices = models.FloatField(null=True, blank=True)
    image_orientation = models.JSONField(null=True, blank=True)
    image_position = models.JSONField(null=True, blank=True)
    orientation_codes = models.CharField(max_length=8, blank=True)
    rescale_slope = models.FloatField(default=1.0)
    rescale_intercept = models.FloatField(default=0.0)
    window_center = models.FloatField()
    window_width = models.FloatField()
    window_source = models.CharField(max_length=16, default="percentile")
    acquisition_date = models.DateField(null=True, blank=True)
    deidentified = models.BooleanField(default=False)
    deidentification_method = models.CharField(max_length=255, blank=True)
    review_status = models.CharField(max_length=16, choices=ReviewStatus.choices,
                                     default=ReviewStatus.NONE)
    review_reason = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The same instance or the same bytes are stored once per case.
            models.UniqueConstraint(fields=["case", "sop_instance_uid"],
                                    name="unique_sop_instance_per_case"),
            models.UniqueConstraint(fields=["case", "source_sha256"],
                                    name="unique_upload_bytes_per_case"),
            models.CheckConstraint(condition=Q(review_status__in=ReviewStatus.values),
                                   name="image_review_status_known"),
            models.CheckConstraint(condition=Q(rows__gt=0) & Q(columns__gt=0) & Q(frames__gt=0),
                                   name="image_has_pixels"),
        ]
        indexes = [models.Index(fields=["series", "instance_number"], name="image_order_idx")]
        ordering = ["instance_number", "id"]

    def __str__(self) -> str:
        return f"Image #{self.pk}"

    @property
    def is_held(self) -> bool:
        return self.review_status == ReviewStatus.HELD
