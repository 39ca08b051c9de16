"""Batched tensor augmentation."""

import torch

from ml.augment import AugmentConfig, augment_batch, gaussian_blur, mixup


def _batch() -> torch.Tensor:
    x = torch.zeros(8, 1, 32, 32)
    x[:, :, 8:24, 8:24] = 0.8
    return x


def test_augmentation_keeps_shape_and_unit_range() -> None:
    out = augment_batch(_batch(), AugmentConfig(), torch.Generator().manual_seed(0))
    assert out.shape == (8, 1, 32, 32)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert not torch.equal(out, _batch())


def test_augmentation_is_reproducible_with_a_seeded_generator() -> None:
    a = augment_batch(_batch(), AugmentConfig(), torch.Generator().manual_seed(3))
    b = augment_batch(_batch(), AugmentConfig(), torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_disabled_augmentation_is_the_identity() -> None:
    x = _batch()
    assert torch.equal(augment_batch(x, AugmentConfig(enabled=False), torch.Generator()), x)


def test_blur_preserves_mean_intensity_and_lowers_peak_gradient() -> None:
    x = _batch()
    y = gaussian_blur(x, torch.full((8,), 1.5))
    assert torch.allclose(x.mean(), y.mean(), atol=1e-2)
    assert y.diff(dim=-1).abs().max() < x.diff(dim=-1).abs().max()


def test_mixup_mixes_soft_targets_that_still_sum_to_one() -> None:
    x, t = _batch(), torch.eye(4).repeat(2, 1)
    mx, mt = mixup(x, t, 0.4, torch.Generator().manual_seed(0))
    assert mx.shape == x.shape
    assert torch.allclose(mt.sum(1), torch.ones(8))
