"""Inference benchmark: the default model vs MONAI DenseNet121 at the same input size.

    .venv/bin/python bench/ml_inference.py [--checkpoint ml/models/default/model.pt] [--image PATH]

Measures, in one run, on whatever machine it runs on (the targets of issue 4
are for a 2-core CPU, batch 1): median and p95 latency of `Predictor.predict`
on a raw slice (preprocessing included) with and without Grad-CAM, images per
second at batch 32 (and 64 on a GPU), the peak RSS of each model's worker
process, the peak RSS of a `python -m ml predict --gradcam` process, and the
ratio ours/MONAI. Each model runs in its own subprocess so memory figures
don't mix. The MONAI model gets the default checkpoint's preprocessing and
input size; its weights are random (latency doesn't depend on their values).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _synthetic_slice():  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:512, :512] / 512
    img = (((yy - 0.5) / 0.4) ** 2 + ((xx - 0.5) / 0.33) ** 2 < 1) * 120.0 + rng.normal(0, 10, (512, 512))
    return np.clip(img, 0, 255).astype(np.uint8)


def worker(checkpoint: str, image_path: str | None, repeats: int, device: str | None) -> dict:
    """Run inside a fresh process: all timings for one checkpoint."""
    import resource

    import numpy as np
    import torch

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    from ml.data.io import load_image
    from ml.inference import Predictor

    image = load_image(image_path) if image_path else _synthetic_slice()
    predictor = Predictor(checkpoint, device=device)

    def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
        for _ in range(5):
            fn()
        out = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            if predictor.device.type == "cuda":
                torch.cuda.synchronize()
            out.append((time.perf_counter() - t) * 1000)
        return out

    plain = timed(lambda: predictor.predict(image), repeats)
    cam = timed(lambda: predictor.predict(image, gradcam=True), max(20, repeats // 2))
    result = {
        "arch": predictor.info.arch,
        "input_size": predictor.info.input_size,
        "params_m": sum(p.numel() for p in predictor.model.parameters()) / 1e6,
        "device": str(predictor.device),
        "threads": torch.get_num_threads(),
        "median_ms": float(np.median(plain)),
        "p95_ms": float(np.percentile(plain, 95)),
        "gradcam_median_ms": float(np.median(cam)),
        "gradcam_p95_ms": float(np.percentile(cam, 95)),
    }
    for bs in (32, 64) if predictor.device.type == "cuda" else (32,):
        batch = np.stack([image] * bs)
        times = timed(lambda b=batch: predictor.predict(b), 5)
        result[f"img_per_s_batch{bs}"] = bs / (float(np.median(times)) / 1000)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["step_ms"] = step_costs(image, predictor.info.input_size)
    return result


def step_costs(image, size: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median cost of the geometry stage and of each optional intensity step at `size` px:
    the evidence for which steps the default model can afford at inference."""
    import numpy as np

    from ml.preprocess import PreprocessConfig, apply_steps, prepare_geometry

    def med(fn, n: int = 15) -> float:  # type: ignore[no-untyped-def]
        fn()
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        return float(np.median(times))

    geo, _ = prepare_geometry(image, size)
    configs = {
        "n4": PreprocessConfig(n4=True),
        "brain_mask": PreprocessConfig(brain_mask=True),
        "standardize:percentile": PreprocessConfig(standardize="percentile"),
        "clahe": PreprocessConfig(clahe=True),
    }
    out = {"geometry": med(lambda: prepare_geometry(image, size))}
    out.update(
        {
            name: med(lambda c=cfg: apply_steps(geo, c), 5 if name == "n4" else 15)
            for name, cfg in configs.items()
        }
    )
    return out


def _run_worker(checkpoint: Path, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(checkpoint), "--repeats", str(args.repeats)]
    if args.image:
        cmd += ["--image", args.image]
    if args.device:
        cmd += ["--device", args.device]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _predict_cli_rss(checkpoint: Path, image: str) -> float:
    """Peak RSS (MB) of a whole `python -m ml predict --gradcam` process."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ml",
            "predict",
            "--checkpoint",
            str(checkpoint),
            "--image",
            image,
            "--gradcam",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"ml predict exited with status {status}")
    return usage.ru_maxrss / 1024


def _monai_checkpoint(reference: Path, folder: Path) -> Path:
    from ml.checkpoint import load_checkpoint, save_checkpoint
    from ml.models import build_model

    ref = load_checkpoint(reference)
    model = build_model("monai_densenet121", len(ref.info.class_names))
    return save_checkpoint(
        folder / "densenet121.pt",
        model=model,
        arch="monai_densenet121",
        arch_kwargs={},
        class_names=ref.info.class_names,
        preprocess=ref.preprocess,
        input_size=ref.info.input_size,
        temperature=ref.info.temperature,
        threshold=ref.info.threshold,
        model_version="monai-densenet121-random",
    )


def main() -> int:
    from ml.paths import DEFAULT_CHECKPOINT

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--image", help="a real slice to time (default: a synthetic 512x512 slice)")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--device")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.image, args.repeats, args.device)))
        return 0

    ckpt = Path(args.checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        image = args.image
        if image is None:
            from PIL import Image

            image = str(Path(tmp) / "slice.png")
            Image.fromarray(_synthetic_slice()).save(image)
            args.image = image
        ours = _run_worker(ckpt, args)
        monai = _run_worker(_monai_checkpoint(ckpt, Path(tmp)), args)
        cli_rss = _predict_cli_rss(ckpt, image)

    rows = [
        ("median latency, batch 1 (ms)", "median_ms", 15.0, "<="),
        ("p95 latency, batch 1 (ms)", "p95_ms", None, ""),
        ("median latency + Grad-CAM (ms)", "gradcam_median_ms", 60.0, "<="),
        ("p95 latency + Grad-CAM (ms)", "gradcam_p95_ms", None, ""),
        ("images/s, batch 32", "img_per_s_batch32", None, ""),
        ("images/s, batch 64", "img_per_s_batch64", None, ""),
        ("peak RSS of worker (MB)", "peak_rss_mb", None, ""),
        ("parameters (M)", "params_m", None, ""),
    ]
    print(
        f"device: {ours['device']}, torch threads: {ours['threads']}, input {ours['input_size']}px, "
        f"preprocessing included, {args.repeats} timed calls"
    )
    print(
        f"{'metric':34} {'ours (' + ours['arch'] + ')':>18} {'MONAI DenseNet121':>18} "
        f"{'ours/MONAI':>11} {'target':>10}"
    )
    for label, key, target, op in rows:
        if key not in ours or key == "step_ms":
            continue
        a, b = ours[key], monai[key]
        tgt = f"{op}{target:g}" + (" ok" if a <= target else " MISS") if target else ""
        print(f"{label:34} {a:18.2f} {b:18.2f} {a / b:11.2f} {tgt:>10}")
    print(
        "preprocessing cost per slice (ms, median): "
        + ", ".join(f"{k} {v:.1f}" for k, v in ours["step_ms"].items())
    )
    ok = "ok" if cli_rss <= 1024 else "MISS"
    print(f"{'peak RSS of `ml predict --gradcam`':34} {cli_rss:18.1f} {'':18} {'':11} {'<=1024 ' + ok:>10}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"ours": ours, "monai_densenet121": monai, "ml_predict_peak_rss_mb": cli_rss}, indent=2
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
