"""Imaging endpoints. Every route looks the object up as the requesting user
(404 when they may not see it) and audits the read before returning pixels."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.cases.selectors import case_get
from apps.core.errors import ServiceError

from .. import rendering, selectors, services
from .renderers import OctetStreamRenderer, PNGRenderer
from .serializers import (
    ComparisonSerializer,
    ImageSerializer,
    SeriesDetailSerializer,
    SeriesSerializer,
    UploadReportSerializer,
    UploadSerializer,
)


def _int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ServiceError(f"{name} must be an integer, not '{raw[:20]}'.",
                           code="invalid_parameter") from exc


def _float_param(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ServiceError(f"{name} must be a number, not '{raw[:20]}'.",
                           code="invalid_parameter") from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise ServiceError(f"{name} must be a finite number.", code="invalid_parameter")
    return value


FRAME_PARAMS = [
    OpenApiParameter("frame", OpenApiTypes.INT, description="0-based frame/slice (default 0)"),
    OpenApiParameter("axis", OpenApiTypes.STR,
                     description="axial (default), coronal or sagittal (NIfTI only)"),
    OpenApiParameter("volume", OpenApiTypes.INT, description="4D NIfTI time point (default 0)"),
]
PNG_RESPONSE = OpenApiResponse(response=OpenApiTypes.BINARY, description="image/png")


class CaseImagesView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: UploadReportSerializer}, tags=["imaging"])
    def post(self, request: Request, case_id: int) -> Response:
        """Upload images to a case: one or many files (DICOM single/multi-frame
        or series, NIfTI .nii/.nii.gz, PNG/JPEG/TIFF/BMP) or zips of them. All
        or nothing: any refused file refuses the request, naming the file."""
        limit = settings.RADCASE_MAX_UPLOAD_MB * 1024 * 1024
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            raise ServiceError(f"The upload is larger than {settings.RADCASE_MAX_UPLOAD_MB} MB.",
                               code="upload_too_large", status_code=413)
        case = case_get(user=request.user, case_id=case_id, request=request, action="")
        try:
            files = request.FILES.getlist("files")
            deidentify_raw = request.data.get("deidentify")
        except TooManyFilesSent as exc:
            raise ServiceError(
                f"Too many files in one request: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES}"
                "; upload a zip or split the upload.", code="too_many_files") from exc
        except RequestDataTooBig as exc:
            raise ServiceError("The request's form fields are too large.",
                               code="upload_too_large", status_code=413) from exc
        deidentify = None
        if deidentify_raw not in (None, ""):
            if str(deidentify_raw).lower() not in ("true", "false", "1", "0"):
                raise ServiceError("deidentify must be true or false.", code="invalid_parameter")
            deidentify = str(deidentify_raw).lower() in ("true", "1")
        report = services.images_ingest(case=case, uploaded_by=request.user, files=files,
                                        deidentify=deidentify, request=request)
        body = UploadReportSerializer({
            "created": report.created,
            "series_ids": sorted({image.series_id for image in report.created}),
            "duplicates": report.duplicates, "skipped": report.skipped,
            "held_for_review": report.held_for_review,
        }).data
        return Response(body, status=status.HTTP_201_CREATED if report.created
                        else status.HTTP_200_OK)


class CaseSeriesView(APIView):
    @extend_schema(responses={200: SeriesSerializer(many=True)}, tags=["imaging"])
    def get(self, request: Request, case_id: int) -> Response:
        """The case's studies and series, each with its images in order."""
        with transaction.atomic():
            series = list(selectors.case_series_list(user=request.user, case_id=case_id,
                                                     request=request))
        return Response(SeriesSerializer(series, many=True).data)


class SeriesDetailView(APIView):
    @extend_schema(responses={200: SeriesDetailSerializer}, tags=["imaging"])
    def get(self, request: Request, series_id: int) -> Response:
        """A series and its slices in viewing order."""
        with transaction.atomic():
            series = selectors.series_get(user=request.user, series_id=series_id,
                                          request=request)
        return Response(SeriesDetailSerializer(series).data)


class ImageDetailView(APIView):
    @extend_schema(responses={200: ImageSerializer}, tags=["imaging"])
    def get(self, request: Request, image_id: int) -> Response:
        """An image's indexed metadata (no pixels)."""
        with transaction.atomic():
            image = selectors.image_get(user=request.user, image_id=image_id, request=request)
        return Response(ImageSerializer(image).data)


class ImageRenderView(APIView):
    renderer_classes = [JSONRenderer, PNGRenderer]

    @extend_schema(parameters=[*FRAME_PARAMS,
                               OpenApiParameter("wc", OpenApiTypes.NUMBER,
                                                description="window centre (default: image's)"),
                               OpenApiParameter("ww", OpenApiTypes.NUMBER,
                                                description="window width (default: image's)"),
                               OpenApiParameter("size", OpenApiTypes.INT,
                                                description="longest side in pixels (16-2048)")],
                   responses={(200, "image/png"): PNG_RESPONSE}, tags=["imaging"])
    def get(self, request: Request, image_id: int) -> HttpResponse:
        """One frame/slice as an 8-bit PNG at a window centre/width, with the
        image's rescale and photometric interpretation applied."""
        frame = _int_param(request, "frame", 0)
        volume = _int_param(request, "volume", 0)
        axis = request.query_params.get("axis")
        wc, ww = _float_param(request, "wc"), _float_param(request, "ww")
        size = _int_param(request, "size")
        with transaction.atomic():
            image = selectors.image_get(user=request.user, image_id=image_id, request=request,
                                        action="image.rendered", pixels=True,
                                        details={"frame": frame, "axis": axis or "axial"})
        png = rendering.rendered_png(image, frame=frame, axis=axis, volume=volume,
                                     window_center=wc, window_width=ww, max_size=size)
        return _private(HttpResponse(png, content_type="image/png"))


class ImageThumbnailView(APIView):
    renderer_classes = [JSONRenderer, PNGRenderer]

    @extend_schema(responses={(200, "image/png"): PNG_RESPONSE}, tags=["imaging"])
    def get(self, request: Request, image_id: int) -> HttpResponse:
        """The middle frame, 128 px, default window."""
        with transaction.atomic():
            image = selectors.image_get(user=request.user, image_id=image_id, request=request,
                                        action="image.thumbnail_viewed", pixels=True)
        return _private(HttpResponse(rendering.thumbnail(image), content_type="image/png"))


class ImagePixelsView(APIView):
    renderer_classes = [JSONRenderer, OctetStreamRenderer]

    @extend_schema(parameters=FRAME_PARAMS,
                   responses={(200, "application/octet-stream"): OpenApiResponse(
                       response=OpenApiTypes.BINARY,
                       description="Little-endian 16-bit values, row-major. Headers: "
                                   "X-Rows, X-Columns, X-Dtype (uint16|int16), X-Rescale-Slope, "
                                   "X-Rescale-Intercept (value × slope + intercept = modality "
                                   "units), X-Window-Center, X-Window-Width, X-Photometric.")},
                   tags=["imaging"])
    def get(self, request: Request, image_id: int) -> HttpResponse:
        """Raw 16-bit pixel values of one slice, for a viewer that windows itself."""
        frame = _int_param(request, "frame", 0)
        volume = _int_param(request, "volume", 0)
        axis = request.query_params.get("axis")
        with transaction.atomic():
            image = selectors.image_get(user=request.user, image_id=image_id, request=request,
                                        action="image.pixels_read", pixels=True,
                                        details={"frame": frame, "axis": axis or "axial"})
        raw = rendering.raw_slice(image, frame=frame, axis=axis, volume=volume)
        response = HttpResponse(raw.data, content_type="application/octet-stream")
        response["X-Rows"] = str(raw.rows)
        response["X-Columns"] = str(raw.columns)
        response["X-Dtype"] = raw.dtype
        response["X-Rescale-Slope"] = repr(float(raw.slope))
        response["X-Rescale-Intercept"] = repr(float(raw.intercept))
        response["X-Window-Center"] = repr(float(image.window_center))
        response["X-Window-Width"] = repr(float(image.window_width))
        response["X-Photometric"] = image.photometric_interpretation
        response["Access-Control-Expose-Headers"] = ", ".join(
            h for h in response.headers if h.startswith("X-"))
        return _private(response)


class ImageFileView(APIView):
    renderer_classes = [JSONRenderer, OctetStreamRenderer]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The stored file")}, tags=["imaging"])
    def get(self, request: Request, image_id: int) -> HttpResponse:
        """Download the stored (de-identified, when so uploaded) file."""
        with transaction.atomic():
            image = selectors.image_get(user=request.user, image_id=image_id, request=request,
                                        action="image.downloaded", pixels=True)
        prefix = settings.RADCASE_X_ACCEL_REDIRECT_PREFIX
        if prefix:
            # nginx streams the file from its internal location; the app only
            # decided that this user may have it.
            response = HttpResponse(content_type="application/octet-stream")
            response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + image.file.name
        else:
            response = FileResponse(image.file.open("rb"),
                                    content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{image.display_name}"'
        return _private(response)


class ImageReleaseView(APIView):
    @extend_schema(request=None, responses={200: ImageSerializer}, tags=["imaging"])
    def post(self, request: Request, image_id: int) -> Response:
        """Release an image held for review (radiologists, administrators)."""
        with transaction.atomic():
            image = selectors.image_get(user=request.user, image_id=image_id, request=request,
                                        action="")
            image = services.image_release(image=image, released_by=request.user,
                                           request=request)
        return Response(ImageSerializer(image).data)


COMPARE_PARAMS = [OpenApiParameter("a", OpenApiTypes.INT, required=True),
                  OpenApiParameter("b", OpenApiTypes.INT, required=True),
                  OpenApiParameter("frame_a", OpenApiTypes.INT),
                  OpenApiParameter("frame_b", OpenApiTypes.INT)]


def _comparison(request: Request):
    a, b = _int_param(request, "a"), _int_param(request, "b")
    if a is None or b is None:
        raise ServiceError("Give two image ids as a and b.", code="invalid_parameter")
    frame_a, frame_b = _int_param(request, "frame_a", 0), _int_param(request, "frame_b", 0)
    with transaction.atomic():
        image_a = selectors.image_get(user=request.user, image_id=a, request=request,
                                      action="image.compared", pixels=True)
        image_b = selectors.image_get(user=request.user, image_id=b, request=request,
                                      action="image.compared", pixels=True)
    result = rendering.comparison(image_a, image_b, frame_a=frame_a, frame_b=frame_b)
    return a, b, frame_a, frame_b, result


class ImageCompareView(APIView):
    @extend_schema(parameters=COMPARE_PARAMS, responses={200: ComparisonSerializer},
                   tags=["imaging"])
    def get(self, request: Request) -> Response:
        """Compare two images of the same patient: SSIM and mean absolute
        difference (on a 0-1 scale after windowing), plus a difference map."""
        a, b, frame_a, frame_b, result = _comparison(request)
        query = urlencode({"a": a, "b": b, "frame_a": frame_a, "frame_b": frame_b})
        return Response(ComparisonSerializer({
            "image_a": a, "image_b": b, "frame_a": frame_a, "frame_b": frame_b,
            "ssim": result.ssim, "mean_abs_diff": result.mean_abs_diff,
            "resampled": result.b_resampled,
            "difference_map_url": f"{reverse('image-compare-difference')}?{query}",
        }).data)


class ImageCompareDifferenceView(APIView):
    renderer_classes = [JSONRenderer, PNGRenderer]

    @extend_schema(parameters=COMPARE_PARAMS, responses={(200, "image/png"): PNG_RESPONSE},
                   tags=["imaging"])
    def get(self, request: Request) -> HttpResponse:
        """The colour-mapped |a - b| difference map of a comparison."""
        *_, result = _comparison(request)
        return _private(HttpResponse(result.difference_png, content_type="image/png"))


def _private(response: HttpResponse) -> HttpResponse:
    """Patient images may be cached by the user's browser, never by proxies."""
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
