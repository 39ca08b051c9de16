"""One structured log line per request: user id, path, status, duration —
and never the query string, where search terms such as patient names travel."""

import io
import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("radcase.request")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.mark.django_db
def test_a_request_logs_one_json_line_with_user_path_status_and_duration(json_log, radiologist,
                                                                          client_for):
    client_for(radiologist).get("/api/auth/me/?q=Doe%20John", HTTP_X_REQUEST_ID="abc")
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["user_id"] == radiologist.pk
    assert line["path"] == "/api/auth/me/"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["request_id"] == "abc"
    assert isinstance(line["duration_ms"], float)


@pytest.mark.django_db
def test_the_query_string_never_reaches_the_log(json_log, radiologist, client_for):
    client_for(radiologist).get("/api/auth/me/", {"search": "Doe John", "mrn": "MRN-778899"})
    text = json_log.getvalue()
    assert "Doe" not in text and "778899" not in text


@pytest.mark.django_db
def test_anonymous_requests_log_a_null_user(json_log, client):
    client.get("/login/")
    assert json.loads(json_log.getvalue().splitlines()[0])["user_id"] is None
