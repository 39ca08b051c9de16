"""The happy path of the LLM second opinion, and exactly what the endpoint
receives. A real HTTP server on loopback plays the OpenAI API."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from ml.second_opinion import (
    SecondOpinion,
    SecondOpinionClient,
    SecondOpinionConfig,
    SecondOpinionContext,
)
from tests.fakes.openai_server import FakeOpenAIServer, answer_json, answer_text, error

PATIENT_NAME = "DOE^JANE"
PATIENT_ID = "MRN-0012345"
API_KEY = "sk-test-radcase-123"
MODEL = "vision-test-model"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

ANSWER = {
    "findings": ["Heterogeneous mass in the left frontal lobe.", "Mild surrounding oedema."],
    "impression": "Appearance compatible with a glial tumour.",
    "suggested_class": "glioma",
    "confidence": 0.82,
}


@pytest.fixture
def server():
    with FakeOpenAIServer(answer_json(ANSWER)) as fake:
        yield fake


def make_config(server: FakeOpenAIServer, **overrides) -> SecondOpinionConfig:
    values = dict(
        enabled=True, base_url=server.base_url, model=MODEL, api_key=API_KEY, timeout_s=5.0, max_retries=0
    )
    values.update(overrides)
    return SecondOpinionConfig(**values)


def brain_context(**overrides) -> SecondOpinionContext:
    values = dict(
        modality="MR",
        body_part="BRAIN",
        predicted_class="glioma",
        probabilities={"glioma": 0.7, "meningioma": 0.2, "notumor": 0.05, "pituitary": 0.05},
        tumour_probability=0.95,
    )
    values.update(overrides)
    return SecondOpinionContext(**values)


def gradient(width: int = 96, height: int = 64) -> Image.Image:
    row = np.linspace(0, 255, width, dtype=np.float64)
    return Image.fromarray(np.tile(row, (height, 1)).astype(np.uint8), mode="L")


def png_bytes(image: Image.Image, **save_kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **save_kwargs)
    return out.getvalue()


def png_chunk_types(data: bytes) -> list[str]:
    assert data.startswith(PNG_SIGNATURE)
    types, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        types.append(data[offset + 4 : offset + 8].decode("ascii"))
        offset += 12 + length
    return types


def png_with_identifiers() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("PatientName", PATIENT_NAME)
    info.add_itxt("PatientID", PATIENT_ID)
    info.add_text("Comment", f"{PATIENT_NAME} {PATIENT_ID}", zip=True)
    exif = Image.Exif()
    exif[0x010E] = f"{PATIENT_NAME} {PATIENT_ID}"  # ImageDescription
    return png_bytes(gradient(), pnginfo=info, exif=exif.tobytes(), dpi=(72, 72))


def request_once(server: FakeOpenAIServer, image: bytes | None = None, **config) -> SecondOpinion:
    with SecondOpinionClient(make_config(server, **config)) as client:
        return client.request(png_bytes(gradient()) if image is None else image, brain_context())


def test_a_valid_answer_comes_back_as_a_validated_second_opinion(server):
    opinion = request_once(server)

    assert opinion.findings == ANSWER["findings"]
    assert opinion.impression == ANSWER["impression"]
    assert opinion.suggested_class == "glioma"
    assert opinion.confidence == pytest.approx(0.82)
    assert opinion.model == MODEL
    assert opinion.latency_ms > 0
    assert opinion.response_format == "json_schema"
    assert json.loads(json.dumps(opinion.to_dict()))["suggested_class"] == "glioma"


def test_the_request_carries_the_api_key_as_a_bearer_token_and_names_the_configured_model(server):
    request_once(server)

    [request] = server.requests
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.header("authorization") == f"Bearer {API_KEY}"
    assert request.json["model"] == MODEL


def test_the_image_is_sent_as_a_png_data_url_in_the_user_message(server):
    request_once(server)

    [request] = server.requests
    user = [m for m in request.messages if m["role"] == "user"]
    assert len(user) == 1
    assert [part["type"] for part in user[0]["content"]] == ["text", "image_url"]
    assert request.image_urls()[0].startswith("data:image/png;base64,")
    [(media_type, data)] = request.images()
    assert media_type == "image/png"
    with Image.open(io.BytesIO(data)) as sent:
        assert sent.format == "PNG"
        assert sent.size == (96, 64)
        assert np.array_equal(np.asarray(sent), np.asarray(gradient()))


def test_a_patient_name_and_id_in_png_metadata_never_reach_the_server(server):
    original = png_with_identifiers()
    # The input really carries the identifiers, in plain and compressed chunks.
    assert PATIENT_NAME.encode() in original and PATIENT_ID.encode() in original
    assert {"tEXt", "iTXt", "zTXt", "eXIf", "pHYs"} <= set(png_chunk_types(original))

    request_once(server, image=original)

    [request] = server.requests
    assert PATIENT_NAME.encode() not in request.body
    assert PATIENT_ID.encode() not in request.body
    assert "DOE" not in json.dumps(request.headers)
    [(_, sent)] = request.images()
    assert PATIENT_NAME.encode() not in sent and PATIENT_ID.encode() not in sent
    assert set(png_chunk_types(sent)) <= {"IHDR", "PLTE", "IDAT", "IEND"}
    with Image.open(io.BytesIO(sent)) as image:
        assert image.text == {}
        assert len(image.getexif()) == 0
        assert np.array_equal(np.asarray(image), np.asarray(gradient()))


def test_exif_identifiers_in_a_jpeg_never_reach_the_server(server):
    exif = Image.Exif()
    exif[0x013B] = PATIENT_NAME  # Artist
    exif[0x010E] = PATIENT_ID  # ImageDescription
    out = io.BytesIO()
    gradient().convert("RGB").save(out, format="JPEG", exif=exif.tobytes(), comment=PATIENT_NAME.encode())
    original = out.getvalue()
    assert PATIENT_NAME.encode() in original

    request_once(server, image=original)

    [request] = server.requests
    assert PATIENT_NAME.encode() not in request.body and PATIENT_ID.encode() not in request.body
    [(media_type, sent)] = request.images()
    assert media_type == "image/png"
    assert PATIENT_NAME.encode() not in sent and PATIENT_ID.encode() not in sent
    assert set(png_chunk_types(sent)) <= {"IHDR", "PLTE", "IDAT", "IEND"}


def test_a_large_image_is_downscaled_to_max_image_px_keeping_its_aspect_ratio(server):
    request_once(server, image=png_bytes(gradient(1200, 600)), max_image_px=256)

    [(_, sent)] = server.requests[0].images()
    with Image.open(io.BytesIO(sent)) as image:
        assert image.size == (256, 128)


def test_a_16_bit_greyscale_png_is_sent_as_8_bit_greyscale_spanning_the_full_range(server):
    ramp = np.tile(np.linspace(1000, 4000, 64), (32, 1)).astype(np.uint16)
    request_once(server, image=png_bytes(Image.fromarray(ramp)))

    [(_, sent)] = server.requests[0].images()
    with Image.open(io.BytesIO(sent)) as image:
        assert image.mode == "L"
        pixels = np.asarray(image)
    assert pixels.min() == 0 and pixels.max() == 255
    assert np.all(np.diff(pixels[0].astype(int)) >= 0)


def test_the_context_sent_is_exactly_the_non_identifying_payload(server):
    request_once(server)

    [request] = server.requests
    user_text = next(m for m in request.messages if m["role"] == "user")["content"][0]["text"]
    payload = json.loads(user_text.split("\n")[1])
    assert payload == {
        "modality": "MR",
        "body_part": "BRAIN",
        "local_model_result": {
            "predicted_class": "glioma",
            "calibrated_probabilities": {
                "glioma": 0.7,
                "meningioma": 0.2,
                "notumor": 0.05,
                "pituitary": 0.05,
            },
            "tumour_probability": 0.95,
        },
        "allowed_classes": ["glioma", "meningioma", "notumor", "pituitary", "uncertain"],
    }
    # Nothing else that could identify someone rides along in the body.
    assert set(request.json) == {"model", "messages", "response_format"}
    assert [m["role"] for m in request.messages] == ["system", "user"]


def test_the_system_prompt_says_research_not_diagnosis_and_asks_for_the_json_schema(server):
    request_once(server)

    system = server.requests[0].messages[0]
    assert system["role"] == "system"
    text = system["content"]
    assert "research" in text and "NOT a diagnosis" in text
    assert "JSON" in text and '"suggested_class"' in text and '"confidence"' in text


def test_strict_json_schema_is_requested_with_the_allowed_classes_plus_uncertain(server):
    request_once(server)

    response_format = server.requests[0].json["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert set(schema["required"]) == {"findings", "impression", "suggested_class", "confidence"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["suggested_class"]["enum"] == [
        "glioma",
        "meningioma",
        "notumor",
        "pituitary",
        "uncertain",
    ]


def test_an_answer_wrapped_in_a_markdown_fence_and_in_other_case_is_accepted(server):
    fenced = "```json\n" + json.dumps({**ANSWER, "suggested_class": "MENINGIOMA"}) + "\n```"
    server.script(answer_text(fenced))

    opinion = request_once(server)

    assert opinion.suggested_class == "meningioma"


def test_uncertain_is_always_an_acceptable_suggested_class(server):
    server.script(answer_json({**ANSWER, "suggested_class": "uncertain", "confidence": 0.1}))

    assert request_once(server).suggested_class == "uncertain"


def test_the_client_falls_back_to_json_object_when_the_endpoint_rejects_json_schema_and_remembers_it(server):
    def reject_json_schema(request):
        if request.json["response_format"]["type"] == "json_schema":
            return error(400, "response_format json_schema is not supported", type="invalid_request_error")
        return answer_json(ANSWER)(request)

    server.script(reject_json_schema)
    with SecondOpinionClient(make_config(server)) as client:
        first = client.request(png_bytes(gradient()), brain_context())
        second = client.request(png_bytes(gradient()), brain_context())

    kinds = [r.json["response_format"]["type"] for r in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert first.response_format == second.response_format == "json_object"
    assert first.suggested_class == "glioma"


def test_openai_environment_variables_do_not_add_headers_for_the_configured_endpoint(server, monkeypatch):
    monkeypatch.setenv("OPENAI_ORG_ID", "org-should-not-leak")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-should-not-leak")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")

    request_once(server)

    [request] = server.requests
    assert "openai-organization" not in request.headers
    assert "openai-project" not in request.headers
    assert request.header("authorization") == f"Bearer {API_KEY}"


def test_without_an_api_key_a_placeholder_bearer_token_is_sent(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")

    request_once(server, api_key="")

    assert server.requests[0].header("authorization") == "Bearer EMPTY"


def test_a_client_can_be_reused_for_several_requests(server):
    with SecondOpinionClient(make_config(server)) as client:
        for _ in range(3):
            assert client.request(png_bytes(gradient()), brain_context()).suggested_class == "glioma"
    assert len(server.chat_requests) == 3
