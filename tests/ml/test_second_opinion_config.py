"""Configuration, the non-identifying context, the disabled default and the
command line of the LLM second opinion."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import openai
import pytest
from PIL import Image

from ml.errors import MLError
from ml.second_opinion import (
    SecondOpinionClient,
    SecondOpinionConfig,
    SecondOpinionConfigError,
    SecondOpinionContext,
    SecondOpinionContextError,
    SecondOpinionDisabledError,
)
from ml.second_opinion.__main__ import main
from tests.fakes.openai_server import FakeOpenAIServer, answer_json

FULL_ENV = {
    "RADCASE_LLM_ENABLED": "true",
    "RADCASE_LLM_BASE_URL": "http://llm.internal:8000/v1",
    "RADCASE_LLM_MODEL": "qwen2.5-vl-7b",
    "RADCASE_LLM_API_KEY": "sk-local",
    "RADCASE_LLM_TIMEOUT_S": "12.5",
    "RADCASE_LLM_MAX_RETRIES": "4",
    "RADCASE_LLM_MAX_IMAGE_PX": "512",
}


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


def png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((32, 32), 90, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def brain() -> SecondOpinionContext:
    return SecondOpinionContext(modality="MR", body_part="BRAIN")


@pytest.fixture
def no_openai_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything constructs an OpenAI client."""

    def forbidden(*args, **kwargs):
        raise AssertionError("an OpenAI client was created")

    monkeypatch.setattr(openai, "OpenAI", forbidden)


# -- configuration ----------------------------------------------------------------------


def test_the_default_config_is_disabled_with_documented_defaults():
    config = SecondOpinionConfig()

    assert config.enabled is False
    assert (config.base_url, config.model, config.api_key) == ("", "", "")
    assert (config.timeout_s, config.max_retries, config.max_image_px) == (30.0, 2, 1024)
    assert config.is_configured is False


def test_an_empty_environment_gives_the_default_config():
    assert SecondOpinionConfig.from_env({}) == SecondOpinionConfig()


def test_from_env_reads_every_radcase_llm_variable():
    config = SecondOpinionConfig.from_env(FULL_ENV)

    assert config == SecondOpinionConfig(
        enabled=True,
        base_url="http://llm.internal:8000/v1",
        model="qwen2.5-vl-7b",
        api_key="sk-local",
        timeout_s=12.5,
        max_retries=4,
        max_image_px=512,
    )
    assert config.is_configured


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("YES", True), (" on ", True), ("0", False), ("off", False)]
)
def test_from_env_understands_the_usual_boolean_spellings(raw, expected):
    assert SecondOpinionConfig.from_env({"RADCASE_LLM_ENABLED": raw}).enabled is expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RADCASE_LLM_ENABLED", "maybe"),
        ("RADCASE_LLM_TIMEOUT_S", "ten"),
        ("RADCASE_LLM_TIMEOUT_S", "0"),
        ("RADCASE_LLM_TIMEOUT_S", "nan"),
        ("RADCASE_LLM_MAX_RETRIES", "1.5"),
        ("RADCASE_LLM_MAX_RETRIES", "-1"),
        ("RADCASE_LLM_MAX_RETRIES", "11"),
        ("RADCASE_LLM_MAX_IMAGE_PX", "16"),
        ("RADCASE_LLM_BASE_URL", "ftp://llm.internal/v1"),
        ("RADCASE_LLM_BASE_URL", "llm.internal:8000"),
        ("RADCASE_LLM_MODEL", "two words"),
    ],
)
def test_from_env_rejects_values_it_cannot_use(name, value):
    with pytest.raises(SecondOpinionConfigError, match=name):
        SecondOpinionConfig.from_env({**FULL_ENV, name: value})


def test_the_api_key_is_not_in_the_configs_repr():
    config = SecondOpinionConfig.from_env(FULL_ENV)

    assert "sk-local" not in repr(config)
    assert "qwen2.5-vl-7b" in repr(config)


def test_a_disabled_config_raises_the_typed_error_without_any_network_call(server, no_openai_client):
    config = SecondOpinionConfig(enabled=False, base_url=server.base_url, model="m", api_key="k")

    with pytest.raises(SecondOpinionDisabledError, match="RADCASE_LLM_ENABLED") as caught:
        SecondOpinionClient(config).request(png(), brain())

    assert isinstance(caught.value, MLError)
    assert server.requests == []


def test_a_default_client_is_disabled_even_for_an_invalid_image(no_openai_client):
    with pytest.raises(SecondOpinionDisabledError):
        SecondOpinionClient().request(b"not even an image", brain())


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [({"base_url": ""}, "RADCASE_LLM_BASE_URL"), ({"model": ""}, "RADCASE_LLM_MODEL")],
)
def test_enabled_but_not_configured_raises_a_config_error_without_any_network_call(
    server, no_openai_client, overrides, missing
):
    config = SecondOpinionConfig(**{"enabled": True, "base_url": server.base_url, "model": "m", **overrides})

    with pytest.raises(SecondOpinionConfigError, match=missing):
        SecondOpinionClient(config).request(png(), brain())
    assert server.requests == []


def test_a_client_rejects_something_that_is_not_a_config():
    with pytest.raises(SecondOpinionConfigError):
        SecondOpinionClient({"enabled": True})  # type: ignore[arg-type]


# -- context ------------------------------------------------------------------------------


def test_the_context_has_no_free_text_field():
    names = {field.name for field in dataclasses.fields(SecondOpinionContext)}

    assert names == {
        "modality",
        "body_part",
        "predicted_class",
        "probabilities",
        "tumour_probability",
        "allowed_classes",
    }


def test_the_context_normalises_codes_to_upper_case():
    context = SecondOpinionContext(modality=" mr ", body_part="brain  stem")

    assert (context.modality, context.body_part) == ("MR", "BRAIN STEM")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"modality": "MRI"},
        {"modality": "DOE^JANE"},
        {"modality": 3},
        {"body_part": "DOE^JANE"},
        {"body_part": "Jane Doe 1970-01-01"},
        {"body_part": "A" * 17},
        {"body_part": ""},
        {"predicted_class": "Jane Doe"},
        {"predicted_class": "x" * 41},
        {"predicted_class": "astrocytoma", "probabilities": {"glioma": 0.6, "meningioma": 0.4}},
        {"probabilities": {"glioma": 1.2}},
        {"probabilities": {"glioma": float("nan")}},
        {"probabilities": {"glioma": 0.8, "meningioma": 0.8}},
        {"probabilities": {"glioma": "0.8"}},
        {"probabilities": {"glioma": 0.5}, "allowed_classes": ("meningioma",)},
        {"tumour_probability": -0.01},
        {"tumour_probability": True},
        {"allowed_classes": ()},
        {"allowed_classes": "glioma"},
        {"allowed_classes": ("glioma", "GLIOMA")},
        {"allowed_classes": ("glioma", "uncertain")},
        {"allowed_classes": tuple(f"c{i}" for i in range(33))},
    ],
)
def test_the_context_rejects_values_that_could_carry_text_or_are_out_of_range(kwargs):
    values = {"modality": "MR", "body_part": "BRAIN", **kwargs}

    with pytest.raises(SecondOpinionContextError):
        SecondOpinionContext(**values)


def test_the_allowed_classes_default_to_the_probability_keys():
    context = SecondOpinionContext(
        modality="MR",
        body_part="BRAIN",
        predicted_class="glioma",
        probabilities={"glioma": 0.9, "notumor": 0.1},
    )

    assert context.classes == ("glioma", "notumor")
    assert context.to_prompt_payload()["allowed_classes"] == ["glioma", "notumor", "uncertain"]


def test_a_context_without_a_local_result_sends_nulls(server):
    config = SecondOpinionConfig(enabled=True, base_url=server.base_url, model="m", max_retries=0)

    with SecondOpinionClient(config) as client:
        client.request(png(), SecondOpinionContext(modality="CT", body_part="HEAD"))

    text = server.requests[0].texts()[1]
    payload = json.loads(text.split("\n")[1])
    assert payload == {
        "modality": "CT",
        "body_part": "HEAD",
        "local_model_result": None,
        "allowed_classes": None,
    }


# -- command line -----------------------------------------------------------------------


def test_the_command_line_prints_the_opinion_as_json(server, tmp_path, capsys):
    answer = {"findings": ["f"], "impression": "i", "suggested_class": "glioma", "confidence": 0.6}
    server.script(answer_json(answer))
    image = tmp_path / "slice.png"
    image.write_bytes(png())
    env = {
        "RADCASE_LLM_ENABLED": "1",
        "RADCASE_LLM_BASE_URL": server.base_url,
        "RADCASE_LLM_MODEL": "cli-model",
        "RADCASE_LLM_API_KEY": "sk-cli",
    }

    code = main(
        [
            "--image", str(image), "--modality", "MR", "--body-part", "BRAIN",
            "--predicted-class", "glioma", "--probabilities", "glioma=0.7,meningioma=0.3",
            "--tumour-probability", "0.9", "--max-retries", "0",
        ],
        env,
    )  # fmt: skip

    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["suggested_class"] == "glioma" and printed["model"] == "cli-model"
    [request] = server.requests
    assert request.header("authorization") == "Bearer sk-cli"


def test_the_command_line_reports_a_disabled_second_opinion_as_a_json_error(
    tmp_path, capsys, no_openai_client
):
    image = tmp_path / "slice.png"
    image.write_bytes(png())

    code = main(["--image", str(image), "--modality", "MR", "--body-part", "BRAIN"], {})

    assert code == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["error"]["type"] == "SecondOpinionDisabledError"
    assert printed["error"]["retryable"] is False


def test_the_command_line_reports_a_missing_image_file_as_a_json_error(tmp_path, capsys, no_openai_client):
    env = {
        "RADCASE_LLM_ENABLED": "1",
        "RADCASE_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "RADCASE_LLM_MODEL": "m",
    }

    code = main(["--image", str(tmp_path / "absent.png"), "--modality", "MR", "--body-part", "BRAIN"], env)

    assert code == 1
    assert json.loads(capsys.readouterr().out)["error"]["type"] == "SecondOpinionImageError"
