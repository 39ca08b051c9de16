"""Stratified, duplicate-aware train/validation splits and k-fold.

`StratifiedGroupKFold` keeps every duplicate group (see `ml.data.dedup`) on
one side, so validation never scores a copy of a training image, while
keeping class proportions close to the whole set's.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold


def stratified_group_kfold(
    labels: np.ndarray, groups: np.ndarray, k: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (train_positions, val_positions) for k stratified, group-disjoint folds."""
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(labels)), labels, groups)


def train_val_split(
    labels: np.ndarray, groups: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One stratified, group-disjoint split; positions into `labels`."""
    if not 0.0 < val_fraction < 0.5:
        raise ValueError("val_fraction must be in (0, 0.5)")
    k = max(2, round(1.0 / val_fraction))
    train_pos, val_pos = next(stratified_group_kfold(labels, groups, k, seed))
    return np.sort(train_pos), np.sort(val_pos)
