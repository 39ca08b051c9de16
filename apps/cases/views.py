"""Server-rendered pages for cases. Thin: the same selectors and services as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import ServiceError

from . import policies, selectors, services
from .forms import CaseCreateForm, WorklistFilterForm
from .models import Status


@login_required
def worklist_view(request: HttpRequest) -> HttpResponse:
    form = WorklistFilterForm(request.GET or None)
    filters = selectors.WorklistFilters()
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.WorklistFilters(
            statuses=tuple(d["status"]), urgencies=tuple(d["urgency"]),
            modality=d["modality"] or "", assigned_to_me=d["assigned_to_me"], search=d["q"])
    with transaction.atomic():
        page = Paginator(selectors.worklist(user=request.user, filters=filters), 50).get_page(
            request.GET.get("page"))
        selectors.audit_cases_listed(user=request.user, cases=page.object_list, request=request)
    return render(request, "cases/worklist.html", {"form": form, "page": page})


@login_required
def case_create_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_referring_doctor:
        messages.error(request, "Only referring doctors create cases.")
        return redirect("worklist")
    form = CaseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                patient = services.patient_get_or_register(
                    user=request.user, mrn=d["mrn"], name=d["name"], birth_date=d["birth_date"],
                    sex=d["sex"], request=request)
                case = services.case_create(
                    created_by=request.user, patient=patient, modality=d["modality"],
                    body_part=d["body_part"], clinical_question=d["clinical_question"],
                    urgency=d["urgency"], request=request)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Case created. Now upload its images.")
            return redirect("case-page", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form})


@login_required
def case_page_view(request: HttpRequest, case_id: int) -> HttpResponse:
    from apps.imaging.selectors import case_series_list  # imaging builds on cases

    with transaction.atomic():
        case = selectors.case_get(user=request.user, case_id=case_id, request=request)
        series = list(case_series_list(user=request.user, case_id=case_id, request=request))
    user = request.user
    return render(request, "cases/case_page.html", {
        "case": case, "series": series,
        "can_submit": case.status == Status.DRAFT and case.referring_doctor_id == user.pk,
        "can_claim": (user.is_radiologist and case.status == Status.SUBMITTED
                      and case.assigned_radiologist_id is None),
        "can_release": case.status == Status.IN_REVIEW and (
            user.is_admin or case.assigned_radiologist_id == user.pk),
        "can_upload": policies.can_add_images(user, case),
    })


_ACTIONS = {
    "submit": lambda u, c, r: services.case_submit(submitted_by=u, case=c, request=r),
    "claim": lambda u, c, r: services.case_claim(radiologist=u, case=c, request=r),
    "release": lambda u, c, r: services.case_release(released_by=u, case=c, request=r),
}


@login_required
@require_POST
def case_action_view(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    if action not in _ACTIONS:
        messages.error(request, "Unknown action.")
        return redirect("case-page", case_id=case_id)
    try:
        with transaction.atomic():
            case = selectors.case_get(user=request.user, case_id=case_id, request=request,
                                      action="")
            _ACTIONS[action](request.user, case, request)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Case {action}ed." if action != "submit" else
                         "Case submitted to the radiologists' worklist.")
    if action == "release":
        return redirect("worklist")
    return redirect("case-page", case_id=case_id)
