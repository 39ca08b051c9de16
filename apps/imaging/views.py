"""The upload form behind the case page. Thin: the same service as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.cases.selectors import case_get
from apps.core.errors import ServiceError

from . import services


@login_required
@require_POST
def case_upload_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_get(user=request.user, case_id=case_id, request=request, action="")
    try:
        files = request.FILES.getlist("files")
        report = services.images_ingest(case=case, uploaded_by=request.user, files=files,
                                        deidentify=request.POST.get("deidentify") == "on",
                                        request=request)
    except (TooManyFilesSent, RequestDataTooBig):
        messages.error(request, "Too many or too large files in one upload; upload a zip.")
    except ServiceError as exc:
        messages.error(request, exc.message)
        for item in (exc.details or {}).get("files", [])[1:10]:
            messages.error(request, f"{item['file']}: {item['message']}")
    else:
        parts = [f"{len(report.created)} image(s) stored"]
        if report.duplicates:
            parts.append(f"{len(report.duplicates)} already stored")
        if report.skipped:
            parts.append(f"{len(report.skipped)} non-image file(s) skipped")
        if report.held_for_review:
            parts.append(f"{report.held_for_review} held for review (burned-in annotation)")
        messages.success(request, "; ".join(parts) + ".")
    return redirect("case-page", case_id=case_id)
