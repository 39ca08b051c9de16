"""Patients, cases and the worklist. Thin: parse, call a selector or service, shape."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.core.pagination import PageNumberPagination

from .. import selectors, services
from ..models import Case
from .serializers import (
    CaseAssignSerializer,
    CaseCreateSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    PatientInputSerializer,
    PatientSerializer,
    WorklistQuerySerializer,
    WorklistRowSerializer,
)

WORKLIST_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, many=True,
                     description="draft, submitted, in_review, reported, signed, amended"),
    OpenApiParameter("urgency", OpenApiTypes.STR, many=True, description="routine, urgent, stat"),
    OpenApiParameter("modality", OpenApiTypes.STR),
    OpenApiParameter("assigned_to_me", OpenApiTypes.BOOL),
    OpenApiParameter("unassigned", OpenApiTypes.BOOL),
    OpenApiParameter("submitted_from", OpenApiTypes.DATE),
    OpenApiParameter("submitted_to", OpenApiTypes.DATE),
    OpenApiParameter("q", OpenApiTypes.STR, description="MRN prefix or part of the name"),
    OpenApiParameter("page", OpenApiTypes.INT),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]


class PatientListCreateView(APIView):
    @extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR)],
                   responses={200: PatientSerializer(many=True)}, tags=["patients"])
    def get(self, request: Request) -> Response:
        """Patients you may see (audited per patient shown)."""
        paginator = PageNumberPagination()
        with transaction.atomic():
            qs = selectors.patient_list(user=request.user, search=request.query_params.get("q", ""))
            page = paginator.paginate_queryset(qs, request, self)
            selectors.audit_patients_listed(user=request.user, patients=page, request=request)
        return paginator.get_paginated_response(PatientSerializer(page, many=True).data)

    @extend_schema(request=PatientInputSerializer, responses={201: PatientSerializer},
                   tags=["patients"])
    def post(self, request: Request) -> Response:
        """Register a patient (referring doctors and administrators)."""
        data = PatientInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = services.patient_create(created_by=request.user, request=request,
                                          **data.validated_data)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(APIView):
    @extend_schema(responses={200: PatientSerializer}, tags=["patients"])
    def get(self, request: Request, patient_id: int) -> Response:
        with transaction.atomic():
            patient = selectors.patient_get(user=request.user, patient_id=patient_id,
                                            request=request)
        return Response(PatientSerializer(patient).data)


class CaseListCreateView(APIView):
    @extend_schema(parameters=WORKLIST_PARAMETERS,
                   responses={200: WorklistRowSerializer(many=True)}, tags=["cases"])
    def get(self, request: Request) -> Response:
        """The worklist: cases you may see, STAT first, longest waiting first."""
        query = WorklistQuerySerializer(data={
            **request.query_params.dict(),
            "status": request.query_params.getlist("status"),
            "urgency": request.query_params.getlist("urgency"),
        })
        query.is_valid(raise_exception=True)
        q = query.validated_data
        filters = selectors.WorklistFilters(
            statuses=tuple(q.get("status", ())), urgencies=tuple(q.get("urgency", ())),
            modality=q.get("modality", ""), assigned_to_me=q["assigned_to_me"],
            unassigned=q["unassigned"], submitted_from=q.get("submitted_from"),
            submitted_to=q.get("submitted_to"), search=q.get("q", ""))
        paginator = PageNumberPagination()
        with transaction.atomic():
            page = paginator.paginate_queryset(
                selectors.worklist(user=request.user, filters=filters), request, self)
            selectors.audit_cases_listed(user=request.user, cases=page, request=request)
        return paginator.get_paginated_response(WorklistRowSerializer(page, many=True).data)

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer}, tags=["cases"])
    def post(self, request: Request) -> Response:
        """Create a case in draft (referring doctors)."""
        data = CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        with transaction.atomic():
            if "patient_id" in v:
                patient = selectors.patient_get(user=request.user, patient_id=v.pop("patient_id"),
                                                request=request)
            else:
                patient = services.patient_get_or_register(user=request.user, request=request,
                                                           **v.pop("patient"))
            case = services.case_create(created_by=request.user, patient=patient,
                                        request=request, **v)
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseDetailView(APIView):
    @extend_schema(responses={200: CaseSerializer}, tags=["cases"])
    def get(self, request: Request, case_id: int) -> Response:
        with transaction.atomic():
            case = selectors.case_get(user=request.user, case_id=case_id, request=request)
        return Response(CaseSerializer(case).data)

    @extend_schema(request=CaseUpdateSerializer, responses={200: CaseSerializer}, tags=["cases"])
    def patch(self, request: Request, case_id: int) -> Response:
        data = CaseUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            case = selectors.case_get(user=request.user, case_id=case_id, request=request,
                                      action="")
            case = services.case_update(updated_by=request.user, case=case, request=request,
                                        **data.validated_data)
        return Response(CaseSerializer(case).data)


class _CaseActionView(APIView):
    """POST /api/cases/<id>/<action>/: look the case up as the user (404 when
    invisible), then call one service."""

    def act(self, request: Request, case: Case) -> Case:
        raise NotImplementedError

    @extend_schema(request=None, responses={200: CaseSerializer}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        with transaction.atomic():
            case = selectors.case_get(user=request.user, case_id=case_id, request=request,
                                      action="")
            case = self.act(request, case)
        return Response(CaseSerializer(case).data)


class CaseSubmitView(_CaseActionView):
    def act(self, request, case):
        return services.case_submit(submitted_by=request.user, case=case, request=request)


class CaseClaimView(_CaseActionView):
    def act(self, request, case):
        return services.case_claim(radiologist=request.user, case=case, request=request)


class CaseReleaseView(_CaseActionView):
    def act(self, request, case):
        return services.case_release(released_by=request.user, case=case, request=request)


class CaseAssignView(_CaseActionView):
    @extend_schema(request=CaseAssignSerializer, responses={200: CaseSerializer}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        return super().post(request, case_id)

    def act(self, request, case):
        data = CaseAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        radiologist = get_object_or_404(User, pk=data.validated_data["radiologist_id"])
        return services.case_assign(assigned_by=request.user, case=case,
                                    radiologist=radiologist, request=request)
