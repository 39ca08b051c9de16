"""`python -m ml train`: train a classifier on a folder-per-class dataset.

Pipeline: decode once into the cache → leakage-aware grouping of training
duplicates → stratified group train/validation split → cached intensity
preprocessing → epochs of balanced sampling + batched augmentation with
AdamW, warm-up + cosine LR, label smoothing → early stopping on validation
loss → temperature and tumour threshold fitted on validation → versioned
checkpoint (best and last), CSV log and the config used.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from tqdm import tqdm

from ml.augment import augment_batch, mixup
from ml.calibration import calibration_errors, fit_temperature, softmax, threshold_for_sensitivity
from ml.checkpoint import save_checkpoint
from ml.config import TrainConfig
from ml.data.cache import DecodedDataset, decode_dataset, preprocess_images
from ml.data.dedup import LeakageResult, find_leakage
from ml.data.split import train_val_split
from ml.errors import ConfigError
from ml.models import build_model
from ml.paths import default_dataset_root
from ml.preprocess import fit_nyul, normalize_batch

log = logging.getLogger(__name__)
NEGATIVE_CLASS = "notumor"


def pick_device() -> torch.device:
    """CUDA, then Apple MPS, then CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class PreparedData:
    """Arrays and index sets for one training run."""

    data: DecodedDataset
    images: np.ndarray  # (N, S, S) float16 after preprocessing steps
    train_idx: np.ndarray
    val_idx: np.ndarray
    leakage: LeakageResult
    class_names: list[str]


def prepare_data(cfg: TrainConfig, progress: bool = True) -> PreparedData:
    """Decode, dedup, split and preprocess (all cached) as `cfg` says."""
    root = Path(cfg.data_root) if cfg.data_root else default_dataset_root()
    splits = (cfg.train_split, cfg.test_split) if (root / cfg.test_split).is_dir() else (cfg.train_split,)
    data = decode_dataset(root, cfg.input_size, splits=splits, progress=progress)
    train_all = data.indices(cfg.train_split)
    test_all = data.indices(cfg.test_split) if len(splits) > 1 else np.array([], dtype=np.int64)
    leakage = find_leakage(
        data.sha256, data.phash, data.labels, train_all, test_all, data.class_names, cfg.phash_threshold
    )
    tr_pos, va_pos = train_val_split(data.labels[train_all], leakage.train_groups, cfg.val_fraction, cfg.seed)
    train_idx, val_idx = train_all[tr_pos], train_all[va_pos]
    if cfg.max_train_images and len(train_idx) > cfg.max_train_images:
        rng = np.random.default_rng(cfg.seed)
        train_idx = np.sort(rng.choice(train_idx, cfg.max_train_images, replace=False))
    if cfg.preprocess.standardize == "nyul" and not cfg.preprocess.nyul_landmarks:
        cfg.preprocess.nyul_landmarks = fit_nyul(data.images[train_idx], cfg.preprocess)
    images = preprocess_images(data, cfg.preprocess, progress=progress)
    return PreparedData(data, images, train_idx, val_idx, leakage, data.class_names)


def _batch(images: np.ndarray, idx: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(images[idx].astype(np.float32)).unsqueeze(1).to(device)


@torch.inference_mode()
def predict_logits(
    model: torch.nn.Module, images: np.ndarray, idx: np.ndarray, device: torch.device, batch_size: int = 128
) -> np.ndarray:
    """Eval-mode logits for `images[idx]`."""
    model.eval()
    out = [
        model(normalize_batch(_batch(images, idx[i : i + batch_size], device))).float().cpu()
        for i in range(0, len(idx), batch_size)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, 0), dtype=np.float32)


def _epoch_indices(labels: np.ndarray, balanced: bool, rng: np.random.Generator) -> np.ndarray:
    """One epoch's sample order: class-balanced with replacement, or a plain shuffle."""
    if not balanced:
        return rng.permutation(len(labels))
    counts = np.bincount(labels, minlength=labels.max() + 1).astype(np.float64)
    weights = 1.0 / counts[labels]
    return rng.choice(len(labels), size=len(labels), replace=True, p=weights / weights.sum())


def train(cfg: TrainConfig, progress: bool = True) -> Path:
    """Run one training job; returns the path of the best (calibrated) checkpoint."""
    torch.set_num_threads(cfg.num_threads)
    seed_everything(cfg.seed)
    device = pick_device()
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    prep = prepare_data(cfg, progress)
    (out / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    (out / "dedup.json").write_text(json.dumps(prep.leakage.report.to_dict(), indent=2))
    (out / "split.json").write_text(
        json.dumps(
            {
                "train": prep.data.relpaths[prep.train_idx].tolist(),
                "val": prep.data.relpaths[prep.val_idx].tolist(),
            }
        )
    )

    labels = prep.data.labels
    n_classes = len(prep.class_names)
    model = build_model(cfg.arch, n_classes, **cfg.arch_kwargs).to(device)
    if cfg.init_checkpoint:
        from ml.checkpoint import load_checkpoint

        init = load_checkpoint(cfg.init_checkpoint, device, expected_classes=prep.class_names)
        if init.info.arch != cfg.arch or init.info.input_size != cfg.input_size:
            raise ConfigError(
                f"init_checkpoint is {init.info.arch}@{init.info.input_size}px, "
                f"config wants {cfg.arch}@{cfg.input_size}px"
            )
        model.load_state_dict(init.model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = max(1, math.ceil(len(prep.train_idx) / cfg.batch_size))
    total, warmup = cfg.epochs * steps_per_epoch, int(cfg.warmup_epochs * steps_per_epoch)

    def lr_lambda(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    class_weight = None
    if not cfg.balanced_sampling:
        counts = np.bincount(labels[prep.train_idx], minlength=n_classes)
        class_weight = torch.tensor(counts.sum() / (n_classes * counts), dtype=torch.float32, device=device)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)

    history: list[dict[str, float]] = []
    best_loss, best_epoch, best_state = float("inf"), -1, None
    y_val = labels[prep.val_idx]
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        order = prep.train_idx[_epoch_indices(labels[prep.train_idx], cfg.balanced_sampling, rng)]
        run_loss, run_correct, seen = 0.0, 0, 0
        bar = tqdm(
            range(steps_per_epoch), desc=f"epoch {epoch}/{cfg.epochs}", disable=not progress, leave=False
        )
        for step in bar:
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            if len(idx) < 2:
                continue
            x = augment_batch(_batch(prep.images, idx, device), cfg.augment, gen)
            y = torch.from_numpy(labels[idx]).to(device)
            target = F.one_hot(y, n_classes).float()
            x, target = mixup(x, target, cfg.augment.mixup_alpha, gen)
            with torch.autocast(device_type=device.type, enabled=use_amp):
                logits = model(normalize_batch(x))
                loss = F.cross_entropy(
                    logits.float(), target, weight=class_weight, label_smoothing=cfg.label_smoothing
                )
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            run_loss += loss.item() * len(idx)
            run_correct += int((logits.argmax(1) == y).sum())
            seen += len(idx)
            bar.set_postfix(loss=f"{run_loss / seen:.3f}")
        val_logits = predict_logits(model, prep.images, prep.val_idx, device)
        val_loss = float(F.cross_entropy(torch.from_numpy(val_logits), torch.from_numpy(y_val)))
        val_acc = float((val_logits.argmax(1) == y_val).mean())
        row = {
            "epoch": epoch,
            "train_loss": run_loss / max(seen, 1),
            "train_acc": run_correct / max(seen, 1),
            "val_loss": val_loss,
            "val_acc": val_acc,
            "lr": sched.get_last_lr()[0],
            "seconds": time.perf_counter() - t0,
        }
        history.append(row)
        log.info("epoch %d: %s", epoch, {k: round(v, 4) for k, v in row.items()})
        print(json.dumps({k: round(v, 5) for k, v in row.items()}), flush=True)
        with open(out / "history.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(row))
            writer.writeheader()
            writer.writerows(history)
        if val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= cfg.patience:
            print(f"early stopping at epoch {epoch} (best {best_epoch})", flush=True)
            break

    common = dict(
        arch=cfg.arch,
        arch_kwargs=cfg.arch_kwargs,
        class_names=prep.class_names,
        preprocess=cfg.preprocess,
        input_size=cfg.input_size,
        negative_class=NEGATIVE_CLASS if NEGATIVE_CLASS in prep.class_names else prep.class_names[0],
        training_data_checksum=prep.data.split_checksum(cfg.train_split),
        model_version=cfg.model_version,
    )
    save_checkpoint(out / "last.pt", model=model, metrics={"history": history}, **common)
    if best_state is not None:
        model.load_state_dict(best_state)
    val_logits = predict_logits(model, prep.images, prep.val_idx, device)
    temperature = fit_temperature(val_logits, y_val)
    neg = prep.class_names.index(common["negative_class"])
    p_before, p_after = softmax(val_logits), softmax(val_logits, temperature)
    threshold = threshold_for_sensitivity(1 - p_after[:, neg], y_val != neg, cfg.target_sensitivity)
    summary = {
        "best_epoch": best_epoch,
        "val_accuracy": float((val_logits.argmax(1) == y_val).mean()),
        "val_size": len(y_val),
        "train_size": len(prep.train_idx),
        "val_calibration_before": calibration_errors(p_before, y_val),
        "val_calibration_after": calibration_errors(p_after, y_val),
    }
    best = save_checkpoint(
        out / "model.pt",
        model=model,
        temperature=temperature,
        threshold=threshold,
        metrics={
            "summary": summary,
            "history": history,
            "dedup": prep.leakage.report.to_dict(),
            "config": cfg.to_dict(),
        },
        **common,
    )
    (out / "train_summary.json").write_text(
        json.dumps({**summary, "temperature": temperature, "threshold": threshold}, indent=2)
    )
    print(
        json.dumps(
            {"checkpoint": str(best), "temperature": temperature, "threshold": threshold, **summary},
            default=str,
        ),
        flush=True,
    )
    return best
