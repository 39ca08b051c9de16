from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, hash-chained audit trail of who saw or changed what."""

    name = "apps.audit"
    label = "audit"
