"""Test-time augmentation: the views averaged by `--uncertainty tta`.

One definition shared by evaluation and the `Predictor`, so the figures in a
model card are what inference does. Identity and a left-right flip: the
training augmentation flips, so both views are in-distribution.
"""

from __future__ import annotations

import torch


def tta_views(x: torch.Tensor) -> list[torch.Tensor]:
    """The views of a (N, 1, H, W) batch, identity first."""
    return [x, torch.flip(x, dims=[-1])]
