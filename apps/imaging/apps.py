from django.apps import AppConfig


class ImagingConfig(AppConfig):
    """Studies, series and image files of cases: ingest, de-identification,
    rendering and comparison. The pure image work lives in `conversion/`."""

    name = "apps.imaging"
    label = "imaging"
