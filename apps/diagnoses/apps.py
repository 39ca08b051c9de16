from django.apps import AppConfig


class DiagnosesConfig(AppConfig):
    """AI findings on images. `ml_adapter` is the only module of the platform
    that imports the `ml` package (an import-linter contract enforces it)."""

    name = "apps.diagnoses"
    label = "diagnoses"
