"""Write pip requirement files from pyproject.toml's pinned dependencies.

Used by deploy/Dockerfile so that torch can be installed first from its own
index (CPU or CUDA wheels) and everything else from PyPI afterwards:

    python pyproject_requirements.py pyproject.toml --torch torch.txt --all requirements.txt

Standard library only (runs before any dependency is installed).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def dependency_name(requirement: str) -> str:
    match = _NAME.match(requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def read_dependencies(pyproject: Path) -> list[str]:
    with pyproject.open("rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


def torch_requirement(dependencies: list[str]) -> str:
    found = [d for d in dependencies if dependency_name(d) == "torch"]
    if len(found) != 1 or "==" not in found[0]:
        raise ValueError(f"expected exactly one exact pin of torch, found {found}")
    return found[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--torch", type=Path, required=True, help="file for the torch pin")
    parser.add_argument("--all", type=Path, required=True, help="file for every dependency")
    args = parser.parse_args(argv)
    try:
        deps = read_dependencies(args.pyproject)
        torch = torch_requirement(deps)
    except (OSError, KeyError, ValueError) as exc:
        print(f"pyproject_requirements: {exc}", file=sys.stderr)
        return 1
    args.torch.write_text(torch + "\n")
    args.all.write_text("\n".join(deps) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
