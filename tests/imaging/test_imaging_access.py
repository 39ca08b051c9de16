"""Every imaging route × every role × own/other object.

The case belongs to Rafael (referring doctor) and is assigned to Rhea
(radiologist). Olga (another referring doctor), Otto (another radiologist) and
Nina (no role) must get 404 on every route — the object's existence is not
revealed — while Rafael, Rhea and Ada (admin) get through.
"""

from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from apps.audit.models import AuditEvent
from apps.cases import services as case_services
from apps.imaging.models import ImageInstance
from tests.imaging.conftest import upload
from tests.support.factories import make_case, png_bytes

pytestmark = pytest.mark.django_db

ROLES = {"referring_doctor": True, "radiologist": True, "admin_user": True,
         "other_referring_doctor": False, "other_radiologist": False, "no_role_user": False}


@pytest.fixture
def world(referring_doctor, radiologist, client_for):
    case = make_case(referring_doctor)
    upload(client_for(referring_doctor), case, [Path(get_testdata_file("CT_small.dcm"))])
    case = case_services.case_submit(submitted_by=referring_doctor, case=case)
    case = case_services.case_claim(radiologist=radiologist, case=case)
    image = ImageInstance.objects.get()
    return {"case": case, "image": image, "series": image.series}


def _routes(w):
    c, i, s = w["case"].pk, w["image"].pk, w["series"].pk
    return {
        "case-series": ("get", f"/api/cases/{c}/series/"),
        "series-detail": ("get", f"/api/series/{s}/"),
        "image-detail": ("get", f"/api/images/{i}/"),
        "image-render": ("get", f"/api/images/{i}/render/"),
        "image-thumbnail": ("get", f"/api/images/{i}/thumbnail/"),
        "image-pixels": ("get", f"/api/images/{i}/pixels/"),
        "image-file": ("get", f"/api/images/{i}/file/"),
        "image-compare": ("get", f"/api/images/compare/?a={i}&b={i}"),
        "image-compare-difference": ("get", f"/api/images/compare/difference/?a={i}&b={i}"),
        "image-release": ("post", f"/api/images/{i}/release/"),
        "case-images": ("post", f"/api/cases/{c}/images/"),
    }


ROUTE_NAMES = list(_routes({"case": type("X", (), {"pk": 1}), "image": type("X", (), {"pk": 1}),
                            "series": type("X", (), {"pk": 1})}))


@pytest.mark.parametrize("route", ROUTE_NAMES)
@pytest.mark.parametrize(("role", "may_see"), list(ROLES.items()))
def test_imaging_routes_by_role(request, world, client_for, route, role, may_see):
    user = request.getfixturevalue(role)
    method, url = _routes(world)[route]
    client = client_for(user)
    if route == "case-images":
        response = client.post(url, {"files": [_png()]}, format="multipart")
    else:
        response = getattr(client, method)(url)
    if not may_see:
        assert response.status_code == 404, f"{role} {route}: {response.status_code}"
        assert response.json()["error"]["code"] == "not_found"
    elif route == "image-release":
        # visible, but nothing is held: 400 for reviewers, 403 for the referrer
        assert response.status_code in (400, 403)
    elif route == "case-images" and role == "admin_user":
        assert response.status_code == 201
    else:
        assert response.status_code in (200, 201), f"{role} {route}: {response.content[:200]}"


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("extra.png", png_bytes(seed=7), "image/png")


def test_an_anonymous_caller_gets_401_everywhere(world, api_client):
    for route, (method, url) in _routes(world).items():
        response = getattr(api_client, method)(url)
        assert response.status_code == 401, route


def test_a_refused_image_read_leaves_no_read_in_the_trail(world, other_radiologist, client_for):
    client_for(other_radiologist).get(f"/api/images/{world['image'].pk}/render/")
    assert not AuditEvent.objects.filter(action="image.rendered").exists()
