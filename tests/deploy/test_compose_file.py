"""docker-compose.yml (and the GPU override deploy/docker-compose.gpu.yml)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .helpers import (
    COMPOSE_FILE,
    DEPLOY,
    GPU_OVERRIDE,
    REPO,
    bind_mounts,
    compose,
    entrypoint_roles,
    env_example,
    interpolated_variables,
    is_long_running,
    load_yaml,
    named_volume_mounts,
    services,
)

REQUIRED = {"web", "worker-inference", "worker-reports", "postgres", "redis", "nginx"}
APP_SERVICES = ("web", "worker-inference", "worker-reports")


def env(service: str) -> dict[str, str]:
    environment = services()[service].get("environment", {})
    assert isinstance(environment, dict), f"{service}: write environment as a mapping"
    return {k: str(v) for k, v in environment.items()}


def test_the_compose_file_parses_and_has_every_required_service():
    missing = REQUIRED - set(services())
    assert not missing, f"missing: {missing}"


def test_every_build_context_and_dockerfile_exists():
    for path in (COMPOSE_FILE, GPU_OVERRIDE):
        for name, service in load_yaml(path)["services"].items():
            build = service.get("build")
            if build is None:
                continue
            if isinstance(build, str):
                build = {"context": build}
            # paths in every compose file are relative to the project directory
            context = REPO / build.get("context", ".")
            if path == GPU_OVERRIDE and "context" not in build:
                continue  # merged onto the base file's build section
            assert context.is_dir(), f"{name}: build context {context} does not exist"
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_every_bind_mounted_file_exists():
    for name, service in services().items():
        for source in bind_mounts(service):
            assert (REPO / source).exists(), f"{name} mounts {source}, which does not exist"


def test_every_interpolated_variable_is_listed_in_env_example():
    documented = set(env_example())
    for path in (COMPOSE_FILE, GPU_OVERRIDE):
        used = interpolated_variables(path.read_text())
        assert used <= documented, f"{path.name} uses {sorted(used - documented)}, not in .env.example"


def test_named_volumes_in_use_are_exactly_the_declared_ones():
    declared = set(compose().get("volumes") or {})
    used = {v for s in services().values() for v in named_volume_mounts(s)}
    assert used == declared, f"used but undeclared: {used - declared}; declared but unused: {declared - used}"
    assert {"postgres-data", "media", "static", "certs"} <= declared


def test_every_long_running_service_has_a_healthcheck():
    for name, service in services().items():
        if is_long_running(service):
            check = service.get("healthcheck")
            assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
            assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_dependencies_wait_for_health_or_completion():
    all_services = services()
    for name, service in all_services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: use the long depends_on form with conditions"
        for target, spec in depends_on.items():
            assert target in all_services, f"{name} depends on unknown service {target}"
            condition = spec.get("condition")
            if condition == "service_healthy":
                assert "healthcheck" in all_services[target], (
                    f"{name} waits for {target}'s health, it has none")
            elif condition == "service_completed_successfully":
                assert not is_long_running(all_services[target]), f"{target} never completes"
            else:
                pytest.fail(f"{name} -> {target}: condition {condition!r}")
    for name in APP_SERVICES:
        deps = all_services[name]["depends_on"]
        assert deps["postgres"]["condition"] == deps["redis"]["condition"] == "service_healthy", name
    assert all_services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_app_services_use_roles_that_the_entrypoint_handles():
    roles = entrypoint_roles()
    assert {"web", "worker-inference", "worker-reports", "migrate"} <= roles
    for name in (*APP_SERVICES, "migrate"):
        command = services()[name]["command"]
        assert command[0] in roles, f"{name} runs {command[0]!r}; entrypoint.sh handles {sorted(roles)}"
        assert command[0] == name, f"{name} should run the role of the same name"
    for name, service in services().items():
        command = service.get("command")
        if isinstance(command, list) and command and command[0].startswith("/app/"):
            # explicit commands run from the image: /app is the repository root
            assert (REPO / command[0].removeprefix("/app/")).is_file(), f"{name}: {command[0]}"


def test_worker_healthchecks_ping_the_node_names_the_entrypoint_gives():
    text = (DEPLOY / "entrypoint.sh").read_text()
    for name, node in (("worker-inference", "inference"), ("worker-reports", "reports")):
        assert re.search(rf"^\s+celery_worker {node} ", text, re.M), f"entrypoint names no {node}@ worker"
        test = " ".join(services()[name]["healthcheck"]["test"][1:])
        assert f"--destination {node}@$$HOSTNAME" in test, f"{name} healthcheck: {test}"
    assert '--hostname "${name}@%h"' in text


def test_the_app_environment_wires_the_stack_together():
    for name in (*APP_SERVICES, "migrate"):
        service = services()[name]
        e = env(name)
        assert service.get("env_file") in (".env", [".env"]), f"{name} must read .env"
        assert e["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        assert e["DATABASE_URL"].startswith("${DATABASE_URL:?"), f"{name}: DATABASE_URL must be required"
        cache, broker = urlsplit(e["REDIS_URL"]), urlsplit(e["CELERY_BROKER_URL"])
        assert cache.hostname == broker.hostname == "redis", name
        assert cache.path != broker.path, f"{name}: cache and broker need separate Redis databases"
        assert e["CELERY_TASK_ALWAYS_EAGER"] == "false", name
        assert e["RADCASE_X_ACCEL_REDIRECT_PREFIX"] == "/protected-media/", name
        assert e["RADCASE_TRUSTED_PROXY_COUNT"] == "1", name
        mounts = named_volume_mounts(service)
        if name != "migrate":
            assert mounts.get("media") == e["RADCASE_MEDIA_ROOT"], (
                f"{name}: media volume vs RADCASE_MEDIA_ROOT")
    assert named_volume_mounts(services()["web"])["static"] == env("web")["RADCASE_STATIC_ROOT"]


def test_redis_never_evicts_the_broker_queues():
    command = services()["redis"]["command"]
    policy = command[command.index("--maxmemory-policy") + 1]
    # Broker keys carry no TTL: only a volatile-* policy leaves them alone.
    assert policy.startswith("volatile-"), policy
    assert "--maxmemory" in command
    assert command[command.index("--appendonly") + 1] == "yes"


def test_postgres_takes_its_credentials_from_database_url():
    pg = services()["postgres"]
    assert pg["image"].startswith("postgres:16")
    assert pg["environment"]["DATABASE_URL"] == env("web")["DATABASE_URL"]
    script = pg["entrypoint"][-1]
    assert bind_mounts(pg)["./deploy/postgres-entrypoint.sh"] == script
    assert "healthcheck" in pg["healthcheck"]["test"] and script in pg["healthcheck"]["test"]
    assert named_volume_mounts(pg)["postgres-data"] == "/var/lib/postgresql/data"


def test_only_nginx_publishes_ports_and_it_publishes_http_and_https():
    for name, service in services().items():
        if name != "nginx":
            assert "ports" not in service, f"{name} must not be reachable from outside"
    published = {str(p).split(":")[-1] for p in services()["nginx"]["ports"]}
    assert published == {"80", "443"}


def test_nginx_mounts_static_media_and_certs_read_only():
    mounts = services()["nginx"]["volumes"]
    for volume in ("static", "media", "certs"):
        entry = next(m for m in mounts if m.startswith(f"{volume}:"))
        assert entry.endswith(":ro"), entry
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in mounts


def test_the_gpu_override_reserves_a_gpu_for_the_inference_worker_only():
    override = load_yaml(GPU_OVERRIDE)["services"]
    assert set(override) == {"worker-inference"}
    worker = override["worker-inference"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
    args = worker["build"]["args"]
    assert "cuda" in args["BASE_IMAGE"] and re.search(r"/whl/cu\d+$", args["TORCH_INDEX_URL"])
    assert worker["image"] != services()["web"]["image"], "the CUDA image needs its own tag"
    base_args = services()["web"]["build"]["args"]
    assert base_args["TORCH_INDEX_URL"].endswith("/whl/cpu")


def _compose_command() -> tuple[list[str], bool] | None:
    """(command, is_v1) for a compose that can run `config` here, or None."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"], False
    if shutil.which("docker-compose"):
        return ["docker-compose"], True
    return None


def _compose_env() -> dict[str, str]:
    """The environment without the variables .env.example names: compose lets
    the shell's values win over .env, and CI exports DATABASE_URL."""
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text(), re.M))
    return {k: v for k, v in os.environ.items() if k not in named}


def _project_copy(tmp_path: Path, is_v1: bool) -> Path:
    """A project directory with the compose files and a .env from .env.example
    plus the one value the file insists on (DATABASE_URL)."""
    text = COMPOSE_FILE.read_text()
    if is_v1:
        # Compose v1 (docker-compose 1.x) predates the top-level `name`.
        text = re.sub(r"^name: .*\n", "", text, flags=re.M)
    (tmp_path / "docker-compose.yml").write_text(text)
    (tmp_path / "deploy").symlink_to(DEPLOY)
    (tmp_path / "nginx.conf").symlink_to(REPO / "nginx.conf")
    dotenv = (REPO / ".env.example").read_text()
    dotenv += "\nDATABASE_URL=postgres://radcase:secret@postgres:5432/radcase\n"
    (tmp_path / ".env").write_text(dotenv)
    return tmp_path


@pytest.mark.parametrize("files", [["docker-compose.yml"],
                                   ["docker-compose.yml", "deploy/docker-compose.gpu.yml"]],
                         ids=["base", "with-gpu-override"])
def test_docker_compose_config_accepts_the_file(tmp_path, files):
    found = _compose_command()
    if found is None:
        pytest.skip("neither `docker compose` (v2 plugin) nor docker-compose is installed")
    command, is_v1 = found
    project = _project_copy(tmp_path, is_v1)
    args = [*command]
    for f in files:
        args += ["-f", f]
    result = subprocess.run([*args, "config", "-q"], cwd=project, capture_output=True, text=True,
                            env=_compose_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_config_refuses_a_missing_database_url(tmp_path):
    found = _compose_command()
    if found is None:
        pytest.skip("neither `docker compose` (v2 plugin) nor docker-compose is installed")
    command, is_v1 = found
    project = _project_copy(tmp_path, is_v1)
    (project / ".env").write_text((REPO / ".env.example").read_text())  # DATABASE_URL= empty
    result = subprocess.run([*command, "config", "-q"], cwd=project, capture_output=True, text=True,
                            env=_compose_env())
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stdout + result.stderr
