from rest_framework import serializers

from ..models import ImageInstance, Series


class ImageSerializer(serializers.ModelSerializer):
    series_id = serializers.IntegerField()
    case_id = serializers.IntegerField()

    class Meta:
        model = ImageInstance
        fields = ["id", "case_id", "series_id", "sop_instance_uid", "sop_class_uid", "kind",
                  "display_name", "file_size", "sha256", "instance_number", "rows", "columns",
                  "frames", "volumes", "shape", "samples_per_pixel",
                  "photometric_interpretation", "bits_stored", "pixel_spacing",
                  "slice_thickness", "spacing_between_slices", "image_orientation",
                  "image_position", "orientation_codes", "rescale_slope", "rescale_intercept",
                  "window_center", "window_width", "window_source", "acquisition_date",
                  "transfer_syntax_uid", "deidentified", "deidentification_method",
                  "review_status", "review_reason", "uploaded_at"]
        read_only_fields = fields


class ImageBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImageInstance
        fields = ["id", "display_name", "kind", "instance_number", "rows", "columns", "frames",
                  "review_status"]
        read_only_fields = fields


class SeriesSerializer(serializers.ModelSerializer):
    study_instance_uid = serializers.CharField(source="study.study_instance_uid")
    study_description = serializers.CharField(source="study.description")
    study_date = serializers.DateField(source="study.study_date")
    instance_count = serializers.SerializerMethodField()
    images = ImageBriefSerializer(source="instances", many=True)

    class Meta:
        model = Series
        fields = ["id", "case_id", "study_id", "study_instance_uid", "study_description",
                  "study_date", "series_instance_uid", "kind", "modality", "body_part",
                  "description", "series_number", "instance_count", "images"]
        read_only_fields = fields

    def get_instance_count(self, series: Series) -> int:
        return getattr(series, "instance_count", None) or len(series.instances.all())


class SliceSerializer(serializers.Serializer):
    image_id = serializers.IntegerField()
    frame = serializers.IntegerField()


class SeriesDetailSerializer(SeriesSerializer):
    """A series plus its slices in viewing order: one entry per 2D image to
    scroll through (each file of a single-frame series, each frame of a
    multi-frame file or NIfTI volume)."""

    slices = serializers.SerializerMethodField()

    class Meta(SeriesSerializer.Meta):
        fields = [*SeriesSerializer.Meta.fields, "slices"]

    def get_slices(self, series: Series) -> list[dict]:
        return [{"image_id": image.pk, "frame": frame}
                for image in series.instances.all() for frame in range(image.frames)]


class UploadReportSerializer(serializers.Serializer):
    created = ImageBriefSerializer(many=True)
    series_ids = serializers.ListField(child=serializers.IntegerField())
    duplicates = serializers.ListField(child=serializers.CharField())
    skipped = serializers.ListField(child=serializers.CharField())
    held_for_review = serializers.IntegerField()


class UploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True),
                                  help_text="One or more files: DICOM, NIfTI, PNG/JPEG/TIFF/BMP, "
                                            "or a zip of them.")
    deidentify = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="Apply the PS3.15 Basic Profile; default: the site setting.")


class ComparisonSerializer(serializers.Serializer):
    image_a = serializers.IntegerField()
    image_b = serializers.IntegerField()
    frame_a = serializers.IntegerField()
    frame_b = serializers.IntegerField()
    ssim = serializers.FloatField()
    mean_abs_diff = serializers.FloatField()
    resampled = serializers.BooleanField()
    difference_map_url = serializers.CharField()
