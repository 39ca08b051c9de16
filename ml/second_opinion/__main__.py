"""Command line: ask for one second opinion and print it as JSON.

    RADCASE_LLM_ENABLED=true RADCASE_LLM_BASE_URL=http://localhost:8000/v1 \\
    RADCASE_LLM_MODEL=my-vlm python -m ml.second_opinion \\
        --image slice.png --modality MR --body-part BRAIN \\
        --predicted-class glioma --probabilities glioma=0.7,meningioma=0.2,notumor=0.1

Configuration comes from the RADCASE_LLM_* environment variables; the
options below override some of them. The API key is read from the
environment only (never a command-line option, which `ps` would show).
Exit status: 0 with the opinion on stdout, 1 with {"error": ...} on stdout
for any SecondOpinionError, 2 for bad command-line usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ml.second_opinion.client import SecondOpinionClient
from ml.second_opinion.config import SecondOpinionConfig
from ml.second_opinion.context import SecondOpinionContext
from ml.second_opinion.errors import SecondOpinionError, SecondOpinionImageError


def _probabilities(text: str) -> dict[str, float]:
    result: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        label, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected CLASS=PROBABILITY, got {item!r}")
        try:
            result[label.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    return result


def _classes(text: str) -> tuple[str, ...]:
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ml.second_opinion",
        description="Ask an OpenAI-compatible vision LLM for a research second opinion (not a diagnosis).",
    )
    parser.add_argument("--image", required=True, type=Path, help="rendered, de-identified PNG or JPEG")
    parser.add_argument("--modality", required=True, help="DICOM modality code, e.g. MR")
    parser.add_argument("--body-part", required=True, help="body part code, e.g. BRAIN")
    parser.add_argument("--predicted-class", help="the local model's predicted class")
    parser.add_argument("--probabilities", type=_probabilities, help="calibrated probabilities: a=0.7,b=0.3")
    parser.add_argument("--tumour-probability", type=float, help="the local model's tumour probability")
    parser.add_argument("--classes", type=_classes, help="allowed classes: a,b,c")
    parser.add_argument("--base-url", help="override RADCASE_LLM_BASE_URL")
    parser.add_argument("--model", help="override RADCASE_LLM_MODEL")
    parser.add_argument("--timeout-s", type=float, help="override RADCASE_LLM_TIMEOUT_S")
    parser.add_argument("--max-retries", type=int, help="override RADCASE_LLM_MAX_RETRIES")
    parser.add_argument("--enable", action="store_true", help="enable even if RADCASE_LLM_ENABLED is not set")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = SecondOpinionConfig.from_env(environ)
        overrides = {
            name: value
            for name, value in (
                ("base_url", args.base_url),
                ("model", args.model),
                ("timeout_s", args.timeout_s),
                ("max_retries", args.max_retries),
            )
            if value is not None
        }
        if args.enable:
            overrides["enabled"] = True
        config = dataclasses.replace(config, **overrides)
        context = SecondOpinionContext(
            modality=args.modality,
            body_part=args.body_part,
            predicted_class=args.predicted_class,
            probabilities=args.probabilities,
            tumour_probability=args.tumour_probability,
            allowed_classes=args.classes,
        )
        config.require_usable()
        try:
            image = args.image.read_bytes()
        except OSError as exc:
            raise SecondOpinionImageError(f"cannot read {args.image}: {exc.strerror or exc}") from exc
        with SecondOpinionClient(config) as client:
            opinion = client.request(image, context)
    except SecondOpinionError as exc:
        error = {"type": type(exc).__name__, "message": str(exc), "retryable": exc.retryable}
        print(json.dumps({"error": error}, indent=2))
        return 1
    print(json.dumps(opinion.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
