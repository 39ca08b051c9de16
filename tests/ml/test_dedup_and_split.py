"""Leakage control and duplicate-aware splits."""

from pathlib import Path

import numpy as np

from ml.data.cache import decode_dataset
from ml.data.dedup import duplicate_groups, find_leakage
from ml.data.split import train_val_split
from ml.paths import CACHE_DIR


def test_exact_and_resized_copies_of_training_images_are_removed_from_test(tiny_dataset: Path) -> None:
    data = decode_dataset(tiny_dataset, 32, progress=False)
    tr, te = data.indices("Training"), data.indices("Testing")
    result = find_leakage(data.sha256, data.phash, data.labels, tr, te, data.class_names)
    removed = {Path(p).name for p in data.relpaths[result.removed_test]}
    assert {"copy_exact.jpg", "copy_resized.png"} <= removed
    assert result.report.test_exact_duplicates_of_train >= 1
    assert result.report.test_removed + result.report.test_clean == len(te)


def test_duplicate_groups_join_exact_and_near_hashes() -> None:
    sha = np.array(["a", "b", "a", "c"])
    phash = np.array([0b0, 0b1111_0000_0000, 0b1, 0b1111_0000_0011], dtype=np.uint64)
    groups = duplicate_groups(sha, phash, threshold=2)
    assert groups[0] == groups[2] and groups[1] == groups[3] and groups[0] != groups[1]


def test_a_validation_split_never_separates_a_duplicate_group() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 50)
    groups = np.arange(200) // 2  # pairs of duplicates
    tr, va = train_val_split(labels, groups, 0.2, seed=int(rng.integers(100)))
    assert not set(groups[tr]) & set(groups[va])
    assert 0.1 < len(va) / 200 < 0.3
    assert set(labels[va]) == {0, 1, 2, 3}


def test_dedup_finds_the_byte_identical_copies_in_the_shared_set(real_root: Path) -> None:
    """Uses the developer's decode cache (.cache/ml); decodes once (~30 s) when cold."""
    data = decode_dataset(real_root, 128, cache_dir=CACHE_DIR, progress=False)
    tr, te = data.indices("Training"), data.indices("Testing")
    result = find_leakage(data.sha256, data.phash, data.labels, tr, te, data.class_names)
    r = result.report
    train_digests = set(data.sha256[tr])
    exact = sum(d in train_digests for d in data.sha256[te])
    assert r.test_exact_duplicates_of_train == exact == 103
    assert r.test_removed >= exact and r.test_clean == len(te) - r.test_removed
    assert r.cross_split_label_conflicts == 0
