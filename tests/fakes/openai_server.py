"""A real HTTP server on loopback that speaks (enough of) the OpenAI
chat-completions API, for tests.

    from tests.fakes.openai_server import FakeOpenAIServer, answer_json, rate_limited

    with FakeOpenAIServer(rate_limited(retry_after_ms=10), answer_json({...})) as server:
        client = OpenAI(base_url=server.base_url, api_key="k")
        ...
        assert server.requests[0].headers["authorization"] == "Bearer k"

It is a `http.server.ThreadingHTTPServer` bound to 127.0.0.1 on an ephemeral
port, served from a daemon thread. Every request is recorded (method, path,
lower-cased headers, raw body, parsed JSON) *before* it is answered. Each
request to `POST .../chat/completions` takes the next scripted behaviour; the
last one repeats once the script runs out (the default script is one valid
generic answer). A behaviour is a `Reply` or a callable
`(RecordedRequest) -> Reply`; the helpers below build the usual ones: a valid
JSON answer, arbitrary content, a refusal, an OpenAI-style error status
(429 with Retry-After, 500, ...), a slow answer, a dropped connection.
`GET .../models` lists `FakeOpenAIServer.model`; other paths answer 404.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "DEFAULT_ANSWER",
    "FakeOpenAIServer",
    "RecordedRequest",
    "Reply",
    "answer_json",
    "answer_text",
    "chat_completion",
    "drop_connection",
    "error",
    "rate_limited",
    "raw",
    "refusal",
    "server_error",
    "slow",
]

DEFAULT_ANSWER: dict[str, Any] = {
    "findings": ["No acute abnormality is visible on this single image."],
    "impression": "Unremarkable appearance on this image.",
    "suggested_class": "uncertain",
    "confidence": 0.5,
}


@dataclass
class RecordedRequest:
    """One HTTP request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    received_at: float = field(default_factory=time.monotonic)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("messages") or [])

    def content_parts(self) -> list[dict[str, Any]]:
        """Every content part of every message (string contents become text parts)."""
        parts: list[dict[str, Any]] = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, str):
                parts.append({"type": "text", "text": content, "role": message.get("role")})
            elif isinstance(content, list):
                parts.extend(part for part in content if isinstance(part, dict))
        return parts

    def texts(self) -> list[str]:
        return [part["text"] for part in self.content_parts() if part.get("type") == "text"]

    def image_urls(self) -> list[str]:
        urls = []
        for part in self.content_parts():
            if part.get("type") == "image_url":
                image_url = part.get("image_url")
                url = image_url.get("url") if isinstance(image_url, dict) else image_url
                urls.append(str(url))
        return urls

    def images(self) -> list[tuple[str, bytes]]:
        """(media type, decoded bytes) of every base64 data-URL image."""
        decoded = []
        for url in self.image_urls():
            header, _, payload = url.partition(",")
            if not header.startswith("data:") or not header.endswith(";base64"):
                raise AssertionError(f"not a base64 data URL: {url[:60]!r}")
            decoded.append((header[len("data:") : -len(";base64")], base64.b64decode(payload, validate=True)))
        return decoded


@dataclass(frozen=True)
class Reply:
    """What the server does for one request."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay_s: float = 0.0
    #: Close the socket without sending any response.
    drop_connection: bool = False


Behaviour = Reply | Callable[[RecordedRequest], Reply]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def chat_completion(
    content: str | None,
    *,
    model: str,
    refusal: str | None = None,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """A chat.completion object with one choice."""
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }


def answer_text(
    content: str | None,
    *,
    model: str | None = None,
    refusal: str | None = None,
    finish_reason: str = "stop",
    headers: Mapping[str, str] | None = None,
) -> Callable[[RecordedRequest], Reply]:
    """A 200 chat completion whose message content is `content` verbatim.
    `model=None` echoes the model named in the request."""

    def behaviour(request: RecordedRequest) -> Reply:
        answered_model = model or str((request.json or {}).get("model") or "fake-model")
        body = chat_completion(content, model=answered_model, refusal=refusal, finish_reason=finish_reason)
        return Reply(body=_json_bytes(body), headers=dict(headers or {}))

    return behaviour


def answer_json(value: Any = None, **kwargs: Any) -> Callable[[RecordedRequest], Reply]:
    """A 200 chat completion whose content is `json.dumps(value)`
    (`DEFAULT_ANSWER` when None)."""
    return answer_text(json.dumps(DEFAULT_ANSWER if value is None else value), **kwargs)


def refusal(
    text: str = "I'm sorry, but I can't help with that.", **kwargs: Any
) -> Callable[[RecordedRequest], Reply]:
    """A 200 chat completion with `message.refusal` set and no content."""
    return answer_text(None, refusal=text, **kwargs)


def error(
    status: int,
    message: str = "fake error",
    *,
    type: str = "server_error",
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """An OpenAI-style error body with the given status."""
    body = {"error": {"message": message, "type": type, "param": None, "code": code}}
    return Reply(status=status, body=_json_bytes(body), headers=dict(headers or {}))


def rate_limited(retry_after: str | float | None = None, *, retry_after_ms: float | None = None) -> Reply:
    """HTTP 429, with `Retry-After` and/or `retry-after-ms` when given."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    return error(
        429, "Rate limit reached", type="rate_limit_exceeded", code="rate_limit_exceeded", headers=headers
    )


def server_error(status: int = 500, *, retry_after_ms: float | None = None) -> Reply:
    headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    return error(status, "The server had an error while processing your request.", headers=headers)


def slow(seconds: float, then: Behaviour | None = None) -> Callable[[RecordedRequest], Reply]:
    """Wait `seconds` (interrupted when the server stops), then behave as `then`
    (a valid answer by default)."""
    follow = then if then is not None else answer_json()

    def behaviour(request: RecordedRequest) -> Reply:
        reply = follow(request) if callable(follow) else follow
        return Reply(
            status=reply.status,
            body=reply.body,
            headers=reply.headers,
            content_type=reply.content_type,
            delay_s=seconds,
            drop_connection=reply.drop_connection,
        )

    return behaviour


def drop_connection() -> Reply:
    """Close the connection without answering."""
    return Reply(drop_connection=True)


def raw(status: int, body: bytes | str, content_type: str = "text/plain") -> Reply:
    """Any status and body, e.g. an HTML error page."""
    return Reply(
        status=status, body=body.encode("utf-8") if isinstance(body, str) else body, content_type=content_type
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle
    # plus delayed ACKs add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            json=parsed,
        )
        self.server.owner._record(request)
        return request

    def _send(self, reply: Reply) -> None:
        if reply.delay_s > 0 and self.server.owner._stopping.wait(reply.delay_s):
            self.close_connection = True
            return
        if reply.drop_connection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
        self.wfile.flush()

    def do_POST(self) -> None:
        request = self._record()
        path = request.path.split("?", 1)[0].rstrip("/")
        if not path.endswith("/chat/completions"):
            self._send(error(404, f"unknown path {path}", type="invalid_request_error"))
            return
        if not isinstance(request.json, dict):
            self._send(error(400, "body is not a JSON object", type="invalid_request_error"))
            return
        behaviour = self.server.owner._next_behaviour()
        self._send(behaviour(request) if callable(behaviour) else behaviour)

    def do_GET(self) -> None:
        request = self._record()
        if request.path.split("?", 1)[0].rstrip("/").endswith("/models"):
            model = self.server.owner.model
            body = {
                "object": "list",
                "data": [{"id": model, "object": "model", "created": 0, "owned_by": "fake"}],
            }
            self._send(Reply(body=_json_bytes(body)))
        else:
            self._send(error(404, "not found", type="invalid_request_error"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FakeOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up are part of the tests, not errors.
        pass


class FakeOpenAIServer:
    """Loopback fake of the chat-completions API; a context manager.

    `base_url` is ``http://127.0.0.1:<port>/v1``. `requests` lists every
    recorded request; `chat_requests` only the chat-completions ones.
    """

    def __init__(self, *script: Behaviour, model: str = "fake-vision-1", prefix: str = "/v1") -> None:
        self.model = model
        self.prefix = prefix.rstrip("/")
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._script: list[Behaviour] = []
        self._last: Behaviour = answer_json()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.script(*script)

    # -- scripting -------------------------------------------------------------------

    def script(self, *behaviours: Behaviour) -> FakeOpenAIServer:
        """Replace the script; with no behaviours, answer `DEFAULT_ANSWER`."""
        with self._lock:
            self._script = list(behaviours) or [answer_json()]
            self._last = self._script[-1]
        return self

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._script.pop(0) if self._script else self._last

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path.rstrip("/").endswith("/chat/completions")
        ]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def start(self) -> FakeOpenAIServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-openai-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
