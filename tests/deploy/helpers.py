"""Readers for the deployment artefacts, shared by the tests in tests/deploy/.

Nothing here needs Docker: the compose file is read as YAML, nginx.conf with
a small parser that follows nginx's own tokenising rules (words, quoted
strings, `{ } ;`, `#` comments), the Dockerfile line by line.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = REPO / "docker-compose.yml"
GPU_OVERRIDE = DEPLOY / "docker-compose.gpu.yml"
NGINX_CONF = REPO / "nginx.conf"
DOCKERFILE = DEPLOY / "Dockerfile"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
ENV_EXAMPLE = REPO / ".env.example"

# Services that run once and exit (restart: "no"); all others run for good.
ONE_SHOT = "no"


# --- .env.example -----------------------------------------------------------

def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


# --- compose ----------------------------------------------------------------

def load_yaml(path: Path) -> dict:
    with path.open() as fh:
        return yaml.safe_load(fh)


def compose() -> dict:
    return load_yaml(COMPOSE_FILE)


def services() -> dict[str, dict]:
    return compose()["services"]


def is_long_running(service: dict) -> bool:
    return str(service.get("restart", "no")) != ONE_SHOT


def named_volume_mounts(service: dict) -> dict[str, str]:
    """{volume name: container path} for the named volumes a service mounts."""
    mounts = {}
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            if entry.get("type") == "volume":
                mounts[entry["source"]] = entry["target"]
            continue
        source, target = entry.split(":")[:2]
        if not source.startswith((".", "/", "~", "$")):
            mounts[source] = target
    return mounts


def bind_mounts(service: dict) -> dict[str, str]:
    """{host path: container path} for a service's bind mounts."""
    mounts = {}
    for entry in service.get("volumes", []):
        if isinstance(entry, str) and entry.startswith((".", "/")):
            source, target = entry.split(":")[:2]
            mounts[source] = target
    return mounts


def interpolated_variables(text: str) -> set[str]:
    """Names in ${NAME}, ${NAME:-x}, ${NAME:?x}, $NAME (compose escapes $$)."""
    text = text.replace("$$", "")
    braced = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text)
    bare = re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text)
    return set(braced) | set(bare)


# --- nginx.conf -------------------------------------------------------------

@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None
    parent: Directive | None = field(default=None, repr=False)

    def children(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def child(self, name: str) -> Directive:
        found = self.children(name)
        assert len(found) == 1, f"expected one `{name}` in `{self.name} {' '.join(self.args)}`, got {found}"
        return found[0]

    def walk(self):
        for d in self.block or []:
            yield d
            yield from d.walk()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def _tokens(text: str):
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            yield c
            i += 1
        elif c in "\"'":
            j, out = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    out.append(text[j + 1])
                    j += 2
                    continue
                out.append(text[j])
                j += 1
            if j >= n:
                raise ValueError("unterminated quoted string in nginx.conf")
            yield "".join(out)
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "{};":
                j += 1
            yield text[i:j]
            i = j


def parse_nginx(text: str) -> Directive:
    root = Directive("(root)", [], [])
    stack = [root]
    words: list[str] = []
    for tok in _tokens(text):
        if tok == ";":
            if not words:
                raise ValueError("empty directive")
            stack[-1].block.append(Directive(words[0], words[1:], None, stack[-1]))
            words = []
        elif tok == "{":
            if not words:
                raise ValueError("block without a name")
            block = Directive(words[0], words[1:], [], stack[-1])
            stack[-1].block.append(block)
            stack.append(block)
            words = []
        elif tok == "}":
            if words or len(stack) == 1:
                raise ValueError("unbalanced `}` or a directive without `;`")
            stack.pop()
        else:
            words.append(tok)
    if words or len(stack) != 1:
        raise ValueError("nginx.conf ends inside a directive or block")
    return root


def nginx() -> Directive:
    return parse_nginx(NGINX_CONF.read_text())


def nginx_servers(listen_port: int) -> list[Directive]:
    http = nginx().child("http")
    found = []
    for server in http.children("server"):
        for listen in server.children("listen"):
            if re.search(rf"(^|:){listen_port}$", listen.args[0]):
                found.append(server)
    return found


def location(server: Directive, *args: str) -> Directive:
    for loc in server.children("location"):
        if tuple(loc.args) == args:
            return loc
    raise AssertionError(f"no `location {' '.join(args)}` in the server block")


# --- Dockerfile -------------------------------------------------------------

def dockerfile_instructions(text: str | None = None) -> list[tuple[str, str]]:
    """[(INSTRUCTION, arguments)] with continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text() if text is None else text
    out: list[tuple[str, str]] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # comment lines inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        instruction, _, rest = current.strip().partition(" ")
        out.append((instruction.upper(), rest.strip()))
        current = ""
    return out


# --- deploy/*.py ------------------------------------------------------------

def deploy_module(name: str):
    """Import deploy/NAME.py (deploy/ is a folder of scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"radcase_deploy_{name}", DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- processes --------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def entrypoint_roles() -> set[str]:
    """The case labels of entrypoint.sh's role dispatch (the `*)` fallback excluded)."""
    text = ENTRYPOINT.read_text()
    body = text[text.index('case "$role" in'):]
    return {m for m in re.findall(r"^\s{2}([a-z][a-z-]*)\)\s*$", body, re.M)}
