from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import run_all_checks


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Database, cache, broker and model status; 503 when any is down.

    Public (no credentials) so that load balancers can call it; it reveals
    dependency states, never data.
    """
    checks = run_all_checks()
    healthy = all(c.ok for c in checks)
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable",
         "checks": {c.name: c.as_dict() for c in checks}},
        status=200 if healthy else 503,
    )
