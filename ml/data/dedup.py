"""Leakage control: exact and perceptual duplicates across and within splits.

The shared Kaggle set repeats many Training images in Testing, byte for byte
or re-encoded/resized. Two images are duplicates when their SHA-256 match
(exact) or their 64-bit content pHash differ in at most `threshold` bits
(perceptual). A Testing image that duplicates any Training image is removed
from the clean test set; duplicate groups inside Training are kept on one
side of any train/validation split (see `ml.data.split`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

DEFAULT_PHASH_THRESHOLD = 4
"""Max Hamming distance (of 64 bits) counted as the same picture. Chosen from
the Testing→Training distance histogram (see docs/ml.md): at <= 4 bits the
matched pairs are re-encoded/resized copies and no match crosses a class label;
at 6 bits adjacent slices start to match and 23 matches cross labels."""


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise Hamming distances between two uint64 hash vectors, (len(a), len(b))."""
    return np.bitwise_count(a[:, None] ^ b[None, :]).astype(np.uint8)


def min_distance_to(query: np.ndarray, reference: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """For each query hash, the smallest Hamming distance to any reference hash."""
    out = np.full(len(query), 64, dtype=np.uint8)
    for i in range(0, len(query), chunk):
        out[i : i + chunk] = hamming(query[i : i + chunk], reference).min(axis=1)
    return out


def duplicate_groups(sha: np.ndarray, phash: np.ndarray, threshold: int, chunk: int = 1024) -> np.ndarray:
    """Group id per image: connected components of 'exact or perceptual duplicate'."""
    n = len(sha)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    first: dict[str, int] = {}
    for i, digest in enumerate(sha):
        if digest in first:
            union(first[digest], i)
        else:
            first[digest] = i
    for start in range(0, n, chunk):
        dist = hamming(phash[start : start + chunk], phash)
        rows, cols = np.nonzero(dist <= threshold)
        for r, c in zip(rows + start, cols, strict=True):
            if r < c:
                union(int(r), int(c))
    return np.array([find(i) for i in range(n)])


@dataclass
class DedupReport:
    """Counts reported in metrics.json, the model card and docs/ml.md."""

    threshold: int
    n_train: int
    n_test: int
    test_exact_duplicates_of_train: int
    test_perceptual_only_duplicates_of_train: int
    test_removed: int
    test_clean: int
    test_removed_per_class: dict[str, int] = field(default_factory=dict)
    test_clean_per_class: dict[str, int] = field(default_factory=dict)
    cross_split_label_conflicts: int = 0
    train_exact_duplicate_images: int = 0
    train_duplicate_groups: int = 0
    train_images_in_duplicate_groups: int = 0
    test_within_split_duplicate_images: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LeakageResult:
    clean_test: np.ndarray  # indices into the dataset
    removed_test: np.ndarray
    train_groups: np.ndarray  # group id per training index (aligned with `train`)
    train: np.ndarray
    report: DedupReport


def find_leakage(
    sha: np.ndarray,
    phash: np.ndarray,
    labels: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    class_names: list[str],
    threshold: int = DEFAULT_PHASH_THRESHOLD,
) -> LeakageResult:
    """Split `test` into clean and removed indices, and group `train` duplicates."""
    train_sha = set(sha[train].tolist())
    exact = np.array([s in train_sha for s in sha[test]], dtype=bool)
    dist = min_distance_to(phash[test], phash[train])
    perceptual = dist <= threshold
    removed_mask = exact | perceptual
    removed, clean = test[removed_mask], test[~removed_mask]

    # label conflicts: a removed test image whose nearest training copy has another label
    conflicts = 0
    for i in removed:
        d = np.bitwise_count(phash[train] ^ phash[i])
        near = train[(d <= threshold) | (sha[train] == sha[i])]
        if near.size and not np.all(labels[near] == labels[i]):
            conflicts += 1

    groups = duplicate_groups(sha[train], phash[train], threshold)
    sizes = Counter(groups.tolist())
    test_groups = duplicate_groups(sha[test], phash[test], threshold)
    test_sizes = Counter(test_groups.tolist())
    report = DedupReport(
        threshold=threshold,
        n_train=len(train),
        n_test=len(test),
        test_exact_duplicates_of_train=int(exact.sum()),
        test_perceptual_only_duplicates_of_train=int((perceptual & ~exact).sum()),
        test_removed=len(removed),
        test_clean=len(clean),
        test_removed_per_class={c: int((labels[removed] == k).sum()) for k, c in enumerate(class_names)},
        test_clean_per_class={c: int((labels[clean] == k).sum()) for k, c in enumerate(class_names)},
        cross_split_label_conflicts=conflicts,
        train_exact_duplicate_images=int(len(train) - len(set(sha[train].tolist()))),
        train_duplicate_groups=sum(1 for v in sizes.values() if v > 1),
        train_images_in_duplicate_groups=sum(v for v in sizes.values() if v > 1),
        test_within_split_duplicate_images=sum(v - 1 for v in test_sizes.values() if v > 1),
    )
    return LeakageResult(clean, removed, groups, train, report)
