from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Patients, cases and the radiologists' worklist."""

    name = "apps.cases"
    label = "cases"
