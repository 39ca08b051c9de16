from django.conf import settings
from django.http import HttpRequest


def radcase(request: HttpRequest) -> dict[str, str]:
    return {
        "RADCASE_SITE_NAME": settings.RADCASE_SITE_NAME,
        "RADCASE_DISCLAIMER": settings.RADCASE_DISCLAIMER,
    }
