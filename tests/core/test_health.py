"""GET /health/ — database, cache, broker and model status; 503 when one is down."""

import json

import pytest


@pytest.fixture
def model_checkpoint(settings, tmp_path):
    """A checkpoint file with its model card, standing where the setting points."""
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(b"weights")
    (tmp_path / "model_card.json").write_text(json.dumps({"model_version": "test-1"}))
    settings.RADCASE_MODEL_CHECKPOINT = checkpoint
    return checkpoint


@pytest.mark.django_db
def test_health_is_200_when_every_dependency_answers(client, model_checkpoint):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "model"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_health_needs_no_credentials_and_is_never_cached(client, model_checkpoint):
    response = client.get("/health/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_missing_model_checkpoint_makes_health_503(client, settings, tmp_path):
    settings.RADCASE_MODEL_CHECKPOINT = tmp_path / "absent.pt"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["model"]["status"] == "down"


@pytest.mark.django_db
def test_an_unreachable_cache_makes_health_503(client, settings, model_checkpoint):
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }}
    response = client.get("/health/")
    assert response.status_code == 503
    cache_check = response.json()["checks"]["cache"]
    assert cache_check["ok"] is False
    assert "Connection" in cache_check["detail"]


@pytest.mark.django_db
def test_an_unreachable_broker_makes_health_503(client, settings, model_checkpoint):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/1"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
@pytest.mark.redis
def test_with_real_redis_the_cache_check_uses_it(client, model_checkpoint):
    response = client.get("/health/")
    assert response.json()["checks"]["cache"]["detail"] == "RedisCache"
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.postgres
def test_with_real_postgresql_the_database_check_uses_it(client, model_checkpoint):
    assert client.get("/health/").json()["checks"]["database"]["detail"] == "postgresql"
