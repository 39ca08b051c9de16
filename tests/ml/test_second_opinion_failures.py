"""Every way the endpoint or the answer can go wrong comes back as a typed
`SecondOpinionError`, never as a crash. A real loopback server misbehaves."""

from __future__ import annotations

import io
import json
import socket
import time

import numpy as np
import pytest
from PIL import Image

from ml.errors import MLError
from ml.second_opinion import (
    SecondOpinionClient,
    SecondOpinionConfig,
    SecondOpinionContext,
    SecondOpinionError,
    SecondOpinionImageError,
    SecondOpinionMalformedAnswerError,
    SecondOpinionRateLimitedError,
    SecondOpinionRefusedError,
    SecondOpinionRejectedError,
    SecondOpinionTimeoutError,
    SecondOpinionUnavailableError,
)
from tests.fakes.openai_server import (
    DEFAULT_ANSWER,
    FakeOpenAIServer,
    answer_json,
    answer_text,
    drop_connection,
    error,
    rate_limited,
    raw,
    refusal,
    server_error,
    slow,
)

VALID = {
    "findings": ["Well-circumscribed extra-axial mass."],
    "impression": "Compatible with a meningioma.",
    "suggested_class": "meningioma",
    "confidence": 0.7,
}


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


def png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((32, 32), 128, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def context() -> SecondOpinionContext:
    return SecondOpinionContext(
        modality="MR",
        body_part="BRAIN",
        predicted_class="meningioma",
        probabilities={"glioma": 0.2, "meningioma": 0.8},
    )


def ask(base_url: str, *, timeout_s: float = 2.0, max_retries: int = 0):
    config = SecondOpinionConfig(
        enabled=True, base_url=base_url, model="m", api_key="k", timeout_s=timeout_s, max_retries=max_retries
    )
    with SecondOpinionClient(config) as client:
        return client.request(png(), context())


def test_content_that_is_not_json_is_a_malformed_answer(server):
    server.script(answer_text("The image shows a brain. {not json"))

    with pytest.raises(SecondOpinionMalformedAnswerError, match="not valid JSON") as caught:
        ask(server.base_url)
    assert isinstance(caught.value, SecondOpinionError) and isinstance(caught.value, MLError)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        ([VALID], "not an object"),
        ({k: v for k, v in VALID.items() if k != "confidence"}, "lacks confidence"),
        ({**VALID, "confidence": 1.5}, r"within \[0, 1\]"),
        ({**VALID, "confidence": -0.1}, r"within \[0, 1\]"),
        ({**VALID, "confidence": "high"}, "confidence must be a number"),
        ({**VALID, "confidence": True}, "confidence must be a number"),
        ({**VALID, "suggested_class": "astrocytoma"}, "not one of"),
        ({**VALID, "suggested_class": 3}, "suggested_class must be a string"),
        ({**VALID, "findings": "one long string"}, "findings must be a list of strings"),
        ({**VALID, "findings": ["ok", 7]}, "findings must be a list of strings"),
        ({**VALID, "findings": ["x"] * 21}, "more than 20"),
        ({**VALID, "impression": ""}, "impression must be a non-empty string"),
        ({**VALID, "impression": "x" * 2001}, "longer than"),
    ],
)
def test_json_that_breaks_the_schema_is_a_malformed_answer(server, answer, complaint):
    server.script(answer_json(answer))

    with pytest.raises(SecondOpinionMalformedAnswerError, match=complaint):
        ask(server.base_url)


def test_an_answer_cut_off_by_the_token_limit_is_a_malformed_answer(server):
    server.script(answer_text('{"findings": ["a"', finish_reason="length"))

    with pytest.raises(SecondOpinionMalformedAnswerError, match="cut off"):
        ask(server.base_url)


def test_an_empty_answer_is_a_malformed_answer(server):
    server.script(answer_text(None))

    with pytest.raises(SecondOpinionMalformedAnswerError, match="empty"):
        ask(server.base_url)


def test_a_200_response_that_is_not_a_chat_completion_is_a_malformed_answer(server):
    server.script(raw(200, "<html><body>gateway login</body></html>", "text/html"))

    with pytest.raises(SecondOpinionMalformedAnswerError, match="not a chat completion"):
        ask(server.base_url)


def test_the_models_refusal_field_is_a_refusal_carrying_its_words(server):
    server.script(refusal("I can't provide medical interpretations."))

    with pytest.raises(SecondOpinionRefusedError) as caught:
        ask(server.base_url)
    assert caught.value.reason == "I can't provide medical interpretations."


def test_a_plain_text_answer_that_reads_as_a_refusal_is_a_refusal(server):
    server.script(answer_text("I'm sorry, but I cannot analyse medical images."))

    with pytest.raises(SecondOpinionRefusedError, match="declined"):
        ask(server.base_url)


def test_a_content_filter_stop_is_a_refusal(server):
    server.script(answer_text(None, finish_reason="content_filter"))

    with pytest.raises(SecondOpinionRefusedError, match="content filter"):
        ask(server.base_url)


def test_a_content_filter_rejection_is_a_refusal_without_a_response_format_fallback(server):
    server.script(error(400, "The prompt was filtered.", type="invalid_request_error", code="content_filter"))

    with pytest.raises(SecondOpinionRefusedError):
        ask(server.base_url)
    assert len(server.chat_requests) == 1


def test_http_429_is_rate_limited_and_carries_the_retry_after_header(server):
    server.script(rate_limited(retry_after=7))

    with pytest.raises(SecondOpinionRateLimitedError) as caught:
        ask(server.base_url, max_retries=0)
    assert caught.value.retry_after_s == pytest.approx(7.0)
    assert caught.value.retryable
    assert len(server.chat_requests) == 1


def test_http_429_without_retry_after_is_rate_limited_with_no_hint(server):
    server.script(rate_limited())

    with pytest.raises(SecondOpinionRateLimitedError) as caught:
        ask(server.base_url)
    assert caught.value.retry_after_s is None


def test_http_429_is_retried_exactly_max_retries_times(server):
    server.script(rate_limited(retry_after_ms=10))

    with pytest.raises(SecondOpinionRateLimitedError) as caught:
        ask(server.base_url, max_retries=2)
    assert len(server.chat_requests) == 3
    assert caught.value.retry_after_s == pytest.approx(0.01)


def test_a_rate_limit_that_clears_within_the_retries_gives_an_answer(server):
    server.script(rate_limited(retry_after_ms=10), answer_json(VALID))

    opinion = ask(server.base_url, max_retries=1)

    assert opinion.suggested_class == "meningioma"
    assert len(server.chat_requests) == 2
    assert server.chat_requests[1].header("x-stainless-retry-count") == "1"


def test_http_500_is_retried_exactly_max_retries_times_then_endpoint_unavailable(server):
    server.script(server_error(500, retry_after_ms=10))

    with pytest.raises(SecondOpinionUnavailableError) as caught:
        ask(server.base_url, max_retries=3)
    assert caught.value.status_code == 500
    assert caught.value.retryable
    assert len(server.chat_requests) == 4


def test_http_503_without_retries_is_tried_once(server):
    server.script(server_error(503))

    with pytest.raises(SecondOpinionUnavailableError) as caught:
        ask(server.base_url, max_retries=0)
    assert caught.value.status_code == 503
    assert len(server.chat_requests) == 1


def test_a_timeout_arrives_within_a_bounded_time(server):
    server.script(slow(10))

    started = time.monotonic()
    with pytest.raises(SecondOpinionTimeoutError, match=r"did not answer within 0\.3 s") as caught:
        ask(server.base_url, timeout_s=0.3, max_retries=0)
    elapsed = time.monotonic() - started

    assert 0.25 <= elapsed < 2.0
    assert caught.value.retryable
    assert len(server.chat_requests) == 1


def test_a_timeout_is_retried_and_still_bounded(server):
    server.script(slow(10))

    started = time.monotonic()
    with pytest.raises(SecondOpinionTimeoutError):
        ask(server.base_url, timeout_s=0.2, max_retries=1)
    elapsed = time.monotonic() - started

    assert len(server.chat_requests) == 2
    # two attempts of 0.2 s plus one back-off of at most 0.5 s, with slack
    assert elapsed < 3.0


def test_a_dropped_connection_is_endpoint_unavailable(server):
    server.script(drop_connection())

    with pytest.raises(SecondOpinionUnavailableError) as caught:
        ask(server.base_url)
    assert caught.value.status_code is None
    assert len(server.chat_requests) == 1


def test_a_refused_connection_is_endpoint_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # nothing listens on `port` now

    with pytest.raises(SecondOpinionUnavailableError, match="cannot reach"):
        ask(f"http://127.0.0.1:{port}/v1", max_retries=0)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_client_errors_other_than_429_are_rejected_without_retrying(server, status):
    server.script(error(status, "nope", type="invalid_request_error"))

    with pytest.raises(SecondOpinionRejectedError) as caught:
        ask(server.base_url, max_retries=2)
    assert caught.value.status_code == status
    assert not caught.value.retryable
    assert len(server.chat_requests) == 1


def test_a_400_is_rejected_after_one_json_object_fallback(server):
    server.script(error(400, "model does not support image input", type="invalid_request_error"))

    with pytest.raises(SecondOpinionRejectedError, match="image input"):
        ask(server.base_url)
    assert [r.json["response_format"]["type"] for r in server.chat_requests] == ["json_schema", "json_object"]


def test_an_unexpected_exception_becomes_a_second_opinion_error_with_its_cause(server, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("ml.second_opinion.client.parse_answer", explode)
    server.script(answer_json(DEFAULT_ANSWER))

    with pytest.raises(SecondOpinionError, match="unexpectedly") as caught:
        ask(server.base_url)
    assert type(caught.value) is SecondOpinionError
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.parametrize(
    "image",
    [
        b"",
        b"definitely not an image",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature with garbage after it
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
        b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",  # a valid GIF: not accepted
        "a string, not bytes",
    ],
)
def test_a_bad_input_image_is_a_typed_error_and_nothing_is_sent(server, image):
    config = SecondOpinionConfig(enabled=True, base_url=server.base_url, model="m", api_key="k")

    with pytest.raises(SecondOpinionImageError):
        SecondOpinionClient(config).request(image, context())
    assert server.requests == []


def test_a_too_small_image_is_a_typed_error(server):
    out = io.BytesIO()
    Image.new("L", (4, 4)).save(out, format="PNG")
    config = SecondOpinionConfig(enabled=True, base_url=server.base_url, model="m")

    with pytest.raises(SecondOpinionImageError, match="at least"):
        SecondOpinionClient(config).request(out.getvalue(), context())
    assert server.requests == []


def test_error_messages_do_not_echo_the_api_key(server):
    server.script(error(401, "Incorrect API key provided: sk-secret-value", type="invalid_request_error"))
    config = SecondOpinionConfig(
        enabled=True, base_url=server.base_url, model="m", api_key="sk-secret-value", max_retries=0
    )

    with pytest.raises(SecondOpinionRejectedError) as caught:
        SecondOpinionClient(config).request(png(), context())
    assert "Incorrect API key provided: ***" in str(caught.value)
    assert "sk-secret-value" not in str(caught.value)
    assert "sk-secret-value" not in json.dumps(repr(config))
