"""GET /api/images/<id>/{render,thumbnail,pixels,file}/ — pixels for the viewer."""

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from apps.audit.models import AuditEvent
from apps.imaging import rendering
from apps.imaging.models import ImageInstance
from tests.imaging.conftest import sample, upload

pytestmark = pytest.mark.django_db
CT = Path(get_testdata_file("CT_small.dcm"))


@pytest.fixture
def ct_image(case, referring_doctor, client_for):
    assert upload(client_for(referring_doctor), case, [CT], deidentify="false").status_code == 201
    return ImageInstance.objects.get()


def _png(response) -> Image.Image:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_a_ct_slice_renders_as_a_png_of_its_size(ct_image, referring_doctor, client_for):
    image = _png(client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/render/"))
    assert image.size == (ct_image.columns, ct_image.rows)
    assert image.mode == "L"


def test_the_window_changes_the_rendering(ct_image, referring_doctor, client_for):
    client = client_for(referring_doctor)
    url = f"/api/images/{ct_image.pk}/render/"
    soft = np.asarray(_png(client.get(url, {"wc": 40, "ww": 400})))
    bone = np.asarray(_png(client.get(url, {"wc": 500, "ww": 2000})))
    assert soft.mean() != pytest.approx(bone.mean(), abs=1)


def test_the_rendering_applies_rescale_so_air_is_dark(ct_image, referring_doctor, client_for):
    pixels = np.asarray(_png(client_for(referring_doctor).get(
        f"/api/images/{ct_image.pk}/render/", {"wc": 40, "ww": 400})))
    ds = pydicom.dcmread(CT)
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert pixels[hu < -500].mean() < 10  # air, below the window, is black


def test_size_downscales_keeping_the_aspect(ct_image, referring_doctor, client_for):
    image = _png(client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/render/",
                                                  {"size": 64}))
    assert max(image.size) == 64


@pytest.mark.parametrize(("params", "code"), [
    ({"frame": 1}, "invalid_frame"), ({"frame": "x"}, "invalid_parameter"),
    ({"ww": 0}, "invalid_window"), ({"axis": "coronal"}, "invalid_axis"),
    ({"size": 5000}, "invalid_size"), ({"wc": "nan"}, "invalid_parameter"),
])
def test_bad_render_parameters_get_400_naming_them(ct_image, referring_doctor, client_for,
                                                   params, code):
    response = client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/render/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_a_strict_png_accept_header_still_gets_json_errors(ct_image, referring_doctor,
                                                           client_for):
    response = client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/render/",
                                                {"frame": 9}, HTTP_ACCEPT="image/png")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_second_render_comes_from_the_cache(ct_image, referring_doctor, client_for,
                                              monkeypatch):
    client = client_for(referring_doctor)
    url = f"/api/images/{ct_image.pk}/render/"
    first = client.get(url, {"wc": 40, "ww": 400}).content
    calls = []
    monkeypatch.setattr(rendering, "frame_array",
                        lambda *a, **k: calls.append(1) or pytest.fail("decoded again"))
    second = client.get(url, {"wc": 40, "ww": 400}).content
    assert first == second and calls == []


def test_every_render_is_audited_even_from_the_cache(ct_image, referring_doctor, client_for):
    client = client_for(referring_doctor)
    for _ in range(3):
        client.get(f"/api/images/{ct_image.pk}/render/")
    events = AuditEvent.objects.filter(action="image.rendered", target_id=str(ct_image.pk))
    assert events.count() == 3
    assert events.first().patient_ref == str(ct_image.case.patient_id)


def test_the_thumbnail_is_small(ct_image, referring_doctor, client_for):
    image = _png(client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/thumbnail/"))
    assert max(image.size) <= 128


def test_raw_pixels_round_trip_to_modality_values(ct_image, referring_doctor, client_for):
    response = client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/pixels/")
    assert response.status_code == 200
    rows, cols = int(response["X-Rows"]), int(response["X-Columns"])
    dtype = {"uint16": "<u2", "int16": "<i2"}[response["X-Dtype"]]
    values = np.frombuffer(response.content, dtype=dtype).reshape(rows, cols)
    hu = values * float(response["X-Rescale-Slope"]) + float(response["X-Rescale-Intercept"])
    ds = pydicom.dcmread(CT)
    expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert np.allclose(hu, expected, atol=float(response["X-Rescale-Slope"]))
    assert float(response["X-Window-Width"]) > 0


def test_the_stored_file_downloads_as_an_attachment(ct_image, referring_doctor, client_for):
    response = client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/file/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[128:132] == b"DICM"


def test_behind_nginx_the_download_is_an_x_accel_redirect(ct_image, referring_doctor,
                                                          client_for, settings):
    settings.RADCASE_X_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    response = client_for(referring_doctor).get(f"/api/images/{ct_image.pk}/file/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{ct_image.file.name}"
    assert response.content == b""


def test_media_has_no_public_url(ct_image, client):
    response = client.get(f"/media/{ct_image.file.name}")
    assert response.status_code == 404
    response = client.get(f"/media-not-public/{ct_image.file.name}")
    assert response.status_code == 404


@pytest.mark.shared_data
def test_nifti_slices_render_along_all_three_axes(case, referring_doctor, client_for):
    client = client_for(referring_doctor)
    upload(client, case, [sample("nifti/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")])
    image = ImageInstance.objects.get()
    sizes = {}
    for axis in ("axial", "coronal", "sagittal"):
        count = rendering.frames_along(image, rendering.Axis(axis))
        png = _png(client.get(f"/api/images/{image.pk}/render/",
                              {"axis": axis, "frame": count // 2}))
        sizes[axis] = png.size
        assert np.asarray(png).std() > 5  # anatomy, not a blank slice
    assert len(set(sizes.values())) >= 2  # the planes have different shapes


@pytest.mark.shared_data
def test_a_multiframe_frame_renders_and_one_past_the_end_is_400(case, referring_doctor,
                                                                 client_for):
    client = client_for(referring_doctor)
    upload(client, case, [sample("dicom/multiframe/REAL_head_pydicom-data_emri_small_10frames.dcm")])
    image = ImageInstance.objects.get()
    assert client.get(f"/api/images/{image.pk}/render/", {"frame": 9}).status_code == 200
    response = client.get(f"/api/images/{image.pk}/render/", {"frame": 10})
    assert response.status_code == 400
    assert "0 to 9" in response.json()["error"]["message"]

