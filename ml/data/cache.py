"""Decode the dataset once into a uint8 array cached under `.cache/ml/`.

Decoding 7,000 JPEG/PNG files of up to 1920x1446 px costs about a minute; an
epoch over a cached (N, S, S) uint8 array costs nothing. The same pass records
what leakage control needs (SHA-256 of the bytes, perceptual hash of the
content) so dedup never decodes the files a second time. The cache file is
named after the data checksum and the input size, so a changed dataset or
size can never be served stale arrays.
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image
from tqdm import tqdm

from ml.data.io import Sample, discover_classes, list_samples, load_image, sha256_file
from ml.paths import cache_dir as default_cache_dir
from ml.preprocess import PreprocessConfig, apply_steps, foreground_box, prepare_geometry, to_unit_range

log = logging.getLogger(__name__)

CACHE_FORMAT = 2  # bump when decoding/geometry changes, to invalidate old caches


@dataclass
class DecodedDataset:
    """All images of the requested splits, geometry-normalised, plus hashes."""

    images: np.ndarray  # (N, S, S) uint8
    labels: np.ndarray  # (N,) int64
    splits: np.ndarray  # (N,) str: "Training" / "Testing"
    relpaths: np.ndarray  # (N,) str
    sha256: np.ndarray  # (N,) str
    phash: np.ndarray  # (N,) uint64
    class_names: list[str]
    size: int
    checksum: str  # of the files' relative paths and SHA-256s, per split

    def indices(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.splits == split)

    def split_checksum(self, split: str) -> str:
        """SHA-256 over sorted `relpath sha256` lines of one split (the training-data checksum)."""
        idx = self.indices(split)
        lines = sorted(f"{self.relpaths[i]} {self.sha256[i]}" for i in idx)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def content_phash(grey: np.ndarray) -> int:
    """64-bit perceptual hash of the slice's content (black borders cropped),
    so re-encoded, resized or re-padded copies hash alike."""
    unit = to_unit_range(grey)
    y0, y1, x0, x1 = foreground_box(unit)
    region = np.clip(np.rint(unit[y0:y1, x0:x1] * 255), 0, 255).astype(np.uint8)
    bits = imagehash.phash(Image.fromarray(region)).hash.ravel()
    return int(np.packbits(bits.astype(np.uint8)).view(">u8")[0])


def _decode_one(args: tuple[str, int]) -> tuple[np.ndarray, int]:
    path, size = args
    grey = load_image(path)
    image, _ = prepare_geometry(grey, size)
    return image, content_phash(grey)


def _checksum(samples: list[Sample], digests: list[str]) -> str:
    lines = sorted(f"{s.relpath} {d}" for s, d in zip(samples, digests, strict=True))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def decode_dataset(
    root: str | Path,
    size: int,
    splits: tuple[str, ...] = ("Training", "Testing"),
    cache_dir: Path | str | None = "default",
    workers: int = 2,
    progress: bool = True,
) -> DecodedDataset:
    """Decode (or load from cache) every image of `splits` at `size` px.

    `cache_dir="default"` means `ml.paths.cache_dir()`; None disables caching.
    """
    cache_dir = default_cache_dir() if cache_dir == "default" else cache_dir
    root = Path(root)
    class_names = discover_classes(root, splits[0])
    samples = [s for split in splits for s in list_samples(root, split, class_names)]
    digests = [sha256_file(s.path) for s in samples]
    checksum = _checksum(samples, digests)
    cache_file = None
    if cache_dir is not None:
        key = hashlib.sha256(f"{checksum}|{size}|{CACHE_FORMAT}|{','.join(splits)}".encode()).hexdigest()[:20]
        cache_file = Path(cache_dir) / f"decoded_{key}_{size}.npz"
        if cache_file.exists():
            with np.load(cache_file, allow_pickle=False) as z:
                return DecodedDataset(
                    images=z["images"],
                    labels=z["labels"],
                    splits=z["splits"],
                    relpaths=z["relpaths"],
                    sha256=z["sha256"],
                    phash=z["phash"],
                    class_names=json.loads(str(z["class_names"])),
                    size=size,
                    checksum=checksum,
                )
    jobs = [(str(s.path), size) for s in samples]
    images = np.zeros((len(samples), size, size), dtype=np.uint8)
    hashes = np.zeros(len(samples), dtype=np.uint64)
    if workers > 1 and len(jobs) >= 256:  # a pool costs more than it saves on tiny sets
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_decode_one, jobs, chunksize=32)
            for i, (img, ph) in enumerate(
                tqdm(results, total=len(jobs), desc=f"decode@{size}", disable=not progress)
            ):
                images[i], hashes[i] = img, ph
    else:
        for i, job in enumerate(tqdm(jobs, desc=f"decode@{size}", disable=not progress)):
            images[i], hashes[i] = _decode_one(job)
    data = DecodedDataset(
        images=images,
        labels=np.array([s.label for s in samples], dtype=np.int64),
        splits=np.array([s.split for s in samples]),
        relpaths=np.array([s.relpath for s in samples]),
        sha256=np.array(digests),
        phash=hashes,
        class_names=class_names,
        size=size,
        checksum=checksum,
    )
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            images=data.images,
            labels=data.labels,
            splits=data.splits,
            relpaths=data.relpaths,
            sha256=data.sha256,
            phash=data.phash,
            class_names=json.dumps(class_names),
        )
        tmp.replace(cache_file)
    return data


def _steps_one(args: tuple[np.ndarray, dict]) -> np.ndarray:
    images, cfg = args
    config = PreprocessConfig.from_dict(cfg)
    return np.stack([apply_steps(img, config) for img in images]).astype(np.float16)


def preprocess_images(
    data: DecodedDataset,
    config: PreprocessConfig,
    cache_dir: Path | str | None = "default",
    workers: int = 2,
    progress: bool = True,
) -> np.ndarray:
    """Apply the intensity steps to every cached image (float16 [0, 1]), cached.

    N4 costs ~40 ms a 128-px slice, so the ablation arms would otherwise
    spend most of their time recomputing it every run.
    """
    cache_dir = default_cache_dir() if cache_dir == "default" else cache_dir
    if not config.steps:
        return (data.images.astype(np.float32) / 255.0).astype(np.float16)
    cache_file = None
    if cache_dir is not None:
        settings = json.dumps(config.to_dict(), sort_keys=True)
        raw_key = f"{data.checksum}|{data.size}|{CACHE_FORMAT}|{settings}"
        key = hashlib.sha256(raw_key.encode()).hexdigest()[:20]
        cache_file = Path(cache_dir) / f"steps_{key}_{data.size}.npy"
        if cache_file.exists():
            return np.load(cache_file)
    chunks = [data.images[i : i + 64] for i in range(0, len(data.images), 64)]
    cfg = config.to_dict()
    out = []
    if workers > 1 and len(chunks) >= 4:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part in tqdm(
                pool.map(_steps_one, [(c, cfg) for c in chunks]),
                total=len(chunks),
                desc=f"preprocess[{'+'.join(config.steps)}]",
                disable=not progress,
            ):
                out.append(part)
    else:
        for c in tqdm(chunks, desc=f"preprocess[{'+'.join(config.steps)}]", disable=not progress):
            out.append(_steps_one((c, cfg)))
    result = np.concatenate(out)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npy")
        np.save(tmp, result)
        tmp.replace(cache_file)
    return result
