"""deploy/Dockerfile, .dockerignore and deploy/pyproject_requirements.py."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib

from .helpers import DEPLOY, DOCKERFILE, REPO, dockerfile_instructions, services

HELPER = DEPLOY / "pyproject_requirements.py"


def instructions(name: str) -> list[str]:
    return [args for instr, args in dockerfile_instructions() if instr == name]


def args_with_defaults() -> dict[str, str]:
    found = {}
    for arg in instructions("ARG"):
        name, _, default = arg.partition("=")
        found.setdefault(name, default)
    return found


def copy_sources() -> list[str]:
    sources = []
    for args in instructions("COPY"):
        words = shlex.split(args)
        if any(w.startswith("--from=") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        sources += words[:-1]
    return sources


def dockerignore_patterns() -> list[tuple[bool, str]]:
    """[(is_exception, pattern)] in file order."""
    out = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        out.append((exception, line.lstrip("!").strip("/")))
    return out


def _pattern_regex(pattern: str) -> re.Pattern:
    """Docker's .dockerignore syntax: `**` any number of folders, `*` and `?`
    within one path element; patterns are relative to the context root."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(path: str) -> bool:
    """The last matching pattern wins; excluding a folder excludes its content."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for exception, pattern in dockerignore_patterns():
        regex = _pattern_regex(pattern)
        if any(regex.fullmatch(p) for p in prefixes):
            ignored = not exception
    return ignored


def test_every_copy_source_exists_in_the_build_context():
    sources = copy_sources()
    assert "ml" in sources and "deploy" in sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the build context (the repository root)"


def test_no_copy_source_is_excluded_by_dockerignore():
    for source in copy_sources():
        assert not dockerignored(source), f"COPY {source}, but .dockerignore excludes it"
    assert not dockerignored("ml/models/default/model.pt"), "the shipped checkpoint must reach the image"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_context():
    for path in (".env", ".git/config", ".venv/bin/python", "var/radcase.sqlite3", "var/media/x.dcm",
                 "apps/core/__pycache__/x.pyc", "runs/exp1/model.pt"):
        assert dockerignored(path), f"{path} would be sent to the Docker daemon"
    assert not dockerignored("apps/core/views.py")


def test_the_base_image_and_the_torch_index_are_build_arguments_with_cpu_defaults():
    defaults = args_with_defaults()
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", defaults["BASE_IMAGE"]), defaults["BASE_IMAGE"]
    assert defaults["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    froms = instructions("FROM")
    assert froms[0].startswith("${BASE_IMAGE} ")
    # the compose file builds with the same CPU defaults
    build_args = services()["web"]["build"]["args"]
    assert build_args["BASE_IMAGE"] == defaults["BASE_IMAGE"]
    assert build_args["TORCH_INDEX_URL"] == defaults["TORCH_INDEX_URL"]


def test_torch_is_installed_from_the_torch_index_before_the_other_dependencies():
    run = " ".join(instructions("RUN"))
    torch_at = run.index('--index-url "${TORCH_INDEX_URL}" -r torch.txt')
    rest_at = run.index("pip install -r requirements.txt")
    assert torch_at < rest_at


def test_the_image_runs_as_a_non_root_user_with_the_project_on_the_python_path():
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0", "0:0")
    env = " ".join(instructions("ENV"))
    assert "PYTHONPATH=/app:/app/platform" in env
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env
    assert instructions("WORKDIR")[-1] == "/app"


def test_the_entrypoint_is_the_deploy_script_and_the_default_role_is_web():
    assert instructions("ENTRYPOINT") == ['["/app/deploy/entrypoint.sh"]']
    assert instructions("CMD") == ['["web"]']
    assert (DEPLOY / "entrypoint.sh").is_file()


def test_the_volume_mount_points_match_the_compose_file():
    run = " ".join(instructions("RUN"))
    env = " ".join(instructions("ENV"))
    for volume in ("media", "static"):
        target = services()["web"]["volumes"]
        path = next(v.split(":")[1] for v in target if v.startswith(f"{volume}:"))
        assert path in run, f"the image does not create {path} for the app user"
        assert f"={path}" in env


def test_the_dockerfile_has_no_platform_package_marker():
    text = DOCKERFILE.read_text()
    assert "platform/__init__.py" in text  # the image build refuses one
    assert not (REPO / "platform" / "__init__.py").exists()


# --- deploy/pyproject_requirements.py ------------------------------------------------

def test_requirements_are_written_from_the_pins_in_pyproject(tmp_path):
    result = subprocess.run([sys.executable, str(HELPER), str(REPO / "pyproject.toml"),
                             "--torch", str(tmp_path / "torch.txt"), "--all", str(tmp_path / "all.txt")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert (tmp_path / "all.txt").read_text().splitlines() == deps
    (torch,) = [d for d in deps if d.startswith("torch==")]
    assert (tmp_path / "torch.txt").read_text() == torch + "\n"


def test_requirements_helper_refuses_a_pyproject_without_an_exact_torch_pin(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["torch>=2"]\n')
    result = subprocess.run([sys.executable, str(HELPER), str(tmp_path / "pyproject.toml"),
                             "--torch", str(tmp_path / "t.txt"), "--all", str(tmp_path / "a.txt")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "torch" in result.stderr
    assert not (tmp_path / "t.txt").exists()
