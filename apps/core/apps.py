from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting pieces: API error shape, pagination, request logging,
    client address, health checks and task enqueueing."""

    name = "apps.core"
    label = "core"
