"""Command line: `python -m ml {train,evaluate,predict,dedup,info}`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ml.errors import MLError


def _cmd_train(args: argparse.Namespace) -> int:
    from ml.config import TrainConfig
    from ml.train import train

    cfg = TrainConfig.from_yaml(args.config)
    if args.data_root:
        cfg.data_root = args.data_root
    if args.output_dir:
        cfg.output_dir = args.output_dir
    if args.epochs is not None:
        cfg.epochs = args.epochs
    if args.max_train_images is not None:
        cfg.max_train_images = args.max_train_images
    train(cfg, progress=not args.no_progress)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from ml.evaluate import evaluate

    m = evaluate(
        args.checkpoint,
        args.reports,
        data_root=args.data_root,
        uncertainty=args.uncertainty,
        n_boot=args.bootstrap,
        card_dir=args.card_dir,
        update_checkpoint=args.update_checkpoint,
        progress=not args.no_progress,
    )
    c = m["clean_test"]
    print(
        json.dumps(
            {
                "reports": str(args.reports),
                "clean_test_n": c["n"],
                "clean_test_accuracy": c["accuracy"],
                "tumor_sensitivity": c["tumor_vs_no_tumor"]["sensitivity"],
                "tumor_specificity": c["tumor_vs_no_tumor"]["specificity"],
                "tumor_auc": c["tumor_vs_no_tumor"]["auc"],
                "ece_before": m["calibration"]["clean_test_before"]["ece"],
                "ece_after": m["calibration"]["clean_test_after"]["ece"],
                "official_test_accuracy_LEAKY": m["official_test_LEAKY"]["accuracy"],
                "targets": m["targets"],
            },
            indent=2,
        )
    )
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from ml.data.io import load_image
    from ml.inference import Predictor, overlay_png

    predictor = Predictor(args.checkpoint, device=args.device)
    results = []
    for path in args.image:
        image = load_image(path)
        pred = predictor.predict(
            image, gradcam=args.gradcam or bool(args.overlay_dir), uncertainty=args.uncertainty
        )
        item = {"image": str(path), **pred.to_dict()}
        if args.overlay_dir and pred.heatmap is not None:
            out = Path(args.overlay_dir)
            out.mkdir(parents=True, exist_ok=True)
            target = out / (Path(path).stem + "_gradcam.png")
            target.write_bytes(overlay_png(image, pred.heatmap))
            item["overlay_png"] = str(target)
        results.append(item)
    print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    return 0


def _cmd_dedup(args: argparse.Namespace) -> int:
    from ml.data.cache import decode_dataset
    from ml.data.dedup import find_leakage
    from ml.paths import default_dataset_root

    root = Path(args.data_root) if args.data_root else default_dataset_root()
    data = decode_dataset(
        root, args.size, splits=(args.train_split, args.test_split), progress=not args.no_progress
    )
    result = find_leakage(
        data.sha256,
        data.phash,
        data.labels,
        data.indices(args.train_split),
        data.indices(args.test_split),
        data.class_names,
        args.threshold,
    )
    if args.list_removed:
        Path(args.list_removed).write_text("\n".join(data.relpaths[result.removed_test].tolist()) + "\n")
    print(json.dumps(result.report.to_dict(), indent=2))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ml.checkpoint import read_checkpoint_info

    print(json.dumps(asdict(read_checkpoint_info(args.checkpoint)), indent=2, default=str))
    return 0


def _cmd_ablation(args: argparse.Namespace) -> int:
    from ml.ablation import results_table, run_ablation

    results = run_ablation(
        args.config, args.output, data_root=args.data_root, only=args.only, progress=not args.no_progress
    )
    print(results_table(results))
    return 0


def _cmd_card(args: argparse.Namespace) -> int:
    from ml.checkpoint import read_checkpoint_info
    from ml.model_card import write_model_card

    card = Path(args.card_dir)
    metrics = json.loads((card / "metrics.json").read_text())
    extra = ""
    for title, path in (
        ("Preprocessing ablation and architecture comparison", args.ablation),
        ("Inference benchmark", args.bench),
    ):
        if path:
            extra += f"\n## {title}\n{Path(path).read_text()}\n"
    write_model_card(card, read_checkpoint_info(card / "model.pt"), metrics, extra_sections=extra)
    print(json.dumps({"model_card": str(card / "model_card.md")}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model from a YAML config")
    p.add_argument("--config", required=True)
    p.add_argument(
        "--data-root", help="folder holding Training/ and Testing/ (default: $RADCASE_SHARED_DIR/...)"
    )
    p.add_argument("--output-dir")
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-train-images", type=int)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_train)

    from ml.data.dedup import DEFAULT_PHASH_THRESHOLD
    from ml.paths import DEFAULT_CHECKPOINT

    p = sub.add_parser("evaluate", help="evaluate a checkpoint on the leakage-cleaned test split")
    p.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    p.add_argument("--reports", default="reports/evaluate", help="output folder for metrics.json and plots")
    p.add_argument("--data-root")
    p.add_argument(
        "--uncertainty", choices=["tta", "mc_dropout"], help="average over TTA views / MC-dropout samples"
    )
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for 95%% CIs")
    p.add_argument("--card-dir", help="also write model_card.md/json, metrics.json and plots here")
    p.add_argument(
        "--update-checkpoint", action="store_true", help="embed the test summary in the checkpoint"
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("predict", help="classify image file(s); prints JSON")
    p.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    p.add_argument("--image", required=True, nargs="+")
    p.add_argument("--gradcam", action="store_true", help="compute a Grad-CAM heatmap")
    p.add_argument("--overlay-dir", help="write <name>_gradcam.png overlays here (implies --gradcam)")
    p.add_argument("--uncertainty", choices=["tta", "mc_dropout"])
    p.add_argument("--device", help="cuda / mps / cpu (default: best available)")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser("dedup", help="count Testing images that duplicate Training images")
    p.add_argument("--data-root")
    p.add_argument("--train-split", default="Training")
    p.add_argument("--test-split", default="Testing")
    p.add_argument(
        "--threshold", type=int, default=DEFAULT_PHASH_THRESHOLD, help="max pHash Hamming distance"
    )
    p.add_argument("--size", type=int, default=128, help="decode size of the shared cache")
    p.add_argument("--list-removed", help="write the removed test files' relative paths here")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_dedup)

    p = sub.add_parser("info", help="print a checkpoint's metadata (cheap health check)")
    p.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("ablation", help="train+evaluate the arms of an ablation/comparison YAML")
    p.add_argument("--config", required=True)
    p.add_argument("--output", default="reports/ablation")
    p.add_argument("--data-root")
    p.add_argument("--only", nargs="+", help="run only these arms")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_ablation)

    p = sub.add_parser("card", help="rewrite a model card from its metrics.json, adding ablation/bench text")
    p.add_argument("--card-dir", default=str(DEFAULT_CHECKPOINT.parent))
    p.add_argument("--ablation", help="Markdown file with the ablation table (ml ablation's results.md)")
    p.add_argument("--bench", help="Markdown/text file with benchmark figures")
    p.set_defaults(func=_cmd_card)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except MLError as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}), file=sys.stderr)
        return 2
