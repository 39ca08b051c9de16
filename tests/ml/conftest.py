"""Fixtures for the ml tests: a tiny synthetic folder dataset, a tiny trained
checkpoint, and a skip marker for tests that need the real shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.paths import DEFAULT_CHECKPOINT, default_dataset_root

CLASSES = ["glioma", "meningioma", "notumor", "pituitary"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep test caches out of the developer's .cache/ml (unless a test reads the real data)."""
    import os

    os.environ.setdefault("RADCASE_ML_CACHE_DIR", str(tmp_path_factory.mktemp("ml-cache")))


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second-opinion tests talk to a server on loopback: a proxy set in
    the developer's environment must not reroute them."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def synthetic_slice(label: int, rng: np.random.Generator, size: int = 48) -> np.ndarray:
    """A head-like ellipse with random 'anatomy'; tumour classes add a bright
    blob at a class-specific place. Random shapes keep images distinct, so
    only the planted copies are perceptual duplicates."""
    yy, xx = np.mgrid[:size, :size] / size
    ay, ax = rng.uniform(0.33, 0.45), rng.uniform(0.28, 0.4)
    img = (((yy - 0.5) / ay) ** 2 + ((xx - 0.5) / ax) ** 2 < 1).astype(np.float32) * 0.35
    for _ in range(6):
        cy, cx, r = rng.uniform(0.25, 0.75), rng.uniform(0.25, 0.75), rng.uniform(0.002, 0.02)
        img += rng.uniform(-0.2, 0.25) * np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / r)) * (img > 0)
    centres = {0: (0.35, 0.35), 1: (0.2, 0.6), 3: (0.65, 0.5)}
    if label in centres:
        cy, cx = centres[label]
        img += 0.5 * np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / 0.006))
    img += rng.normal(0, 0.02, img.shape)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def write_dataset(root: Path, per_class: dict[str, int], seed: int = 0) -> Path:
    """Write `<root>/<split>/<class>/*.jpg` (some are really PNG/RGBA, as in the real data)."""
    rng = np.random.default_rng(seed)
    for split, n in per_class.items():
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                arr = synthetic_slice(label, rng)
                if i % 5 == 1:  # PNG content behind a .jpg name
                    Image.fromarray(arr).save(folder / f"{split[:2]}_{i}.jpg", format="PNG")
                elif i % 5 == 2:  # RGBA
                    Image.fromarray(np.dstack([arr] * 3 + [np.full_like(arr, 255)])).save(
                        folder / f"{split[:2]}_{i}.png"
                    )
                else:
                    Image.fromarray(np.dstack([arr] * 3)).save(folder / f"{split[:2]}_{i}.jpg", quality=95)
    return root


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 training and 6 testing images per class, plus one exact and one
    re-encoded copy of a training image in Testing (leakage to be found)."""
    root = write_dataset(tmp_path_factory.mktemp("tiny") / "data", {"Training": 24, "Testing": 6})
    src = root / "Training" / "glioma" / "Tr_0.jpg"
    (root / "Testing" / "glioma" / "copy_exact.jpg").write_bytes(src.read_bytes())
    with Image.open(src) as img:
        img.convert("L").resize((60, 60)).save(root / "Testing" / "glioma" / "copy_resized.png")
    return root


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-epoch, 32-px compact model trained by our own training code."""
    from ml.config import TrainConfig
    from ml.train import train

    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig.from_dict(
        {
            "data_root": str(tiny_dataset),
            "input_size": 32,
            "epochs": 1,
            "batch_size": 16,
            "arch_kwargs": {"widths": [8, 16, 16, 32]},
            "val_fraction": 0.25,
            "output_dir": str(out),
            "model_version": "test-tiny",
            "preprocess": {"standardize": "percentile"},
        }
    )
    return train(cfg, progress=False)


@pytest.fixture(scope="session")
def real_root() -> Path:
    root = default_dataset_root()
    if not (root / "Training").is_dir() or not (root / "Testing").is_dir():
        pytest.skip(f"real brain-MRI data not found at {root} (set RADCASE_SHARED_DIR to the shared folder)")
    return root


@pytest.fixture(scope="session")
def default_checkpoint() -> Path:
    if not DEFAULT_CHECKPOINT.is_file():
        pytest.skip(f"default checkpoint not found at {DEFAULT_CHECKPOINT}")
    return DEFAULT_CHECKPOINT
