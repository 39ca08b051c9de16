"""Batched, on-device data augmentation as tensor operations.

Per-image PIL augmentation would make the 2-core CPU the bottleneck; these
ops run on the whole (B, 1, H, W) batch at once. The photometric set (gamma,
contrast, brightness, smooth multiplicative bias field, blur, noise) is there
for generalisation to other scanners and contrasts, not for the internal
score: the external test set differs exactly in those properties.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

from ml.errors import ConfigError


@dataclass
class AugmentConfig:
    """Ranges of every random transform; `enabled=False` turns all off."""

    enabled: bool = True
    hflip: float = 0.5  # probability; left/right is anatomically plausible, up/down is not
    rotate_deg: float = 15.0
    zoom: tuple[float, float] = (0.85, 1.15)
    translate: float = 0.08  # fraction of the image size
    gamma: tuple[float, float] = (0.7, 1.5)
    contrast: tuple[float, float] = (0.75, 1.3)
    brightness: float = 0.08
    bias_field: float = 0.3  # max log-amplitude of a smooth multiplicative field
    blur_prob: float = 0.25
    blur_sigma: tuple[float, float] = (0.3, 1.2)
    noise_prob: float = 0.3
    noise_std: tuple[float, float] = (0.0, 0.04)
    mixup_alpha: float = 0.0  # 0 disables MixUp

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AugmentConfig:
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown augmentation keys: {sorted(unknown)}")
        for key in ("zoom", "gamma", "contrast", "blur_sigma", "noise_std"):
            if key in data:
                data[key] = tuple(float(v) for v in data[key])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _uniform(n: int, lo: float, hi: float, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=gen, device=device) * (hi - lo) + lo


def random_affine(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """Flip, rotate, zoom and shift every image with its own parameters (one grid_sample)."""
    n, dev = x.shape[0], x.device
    angle = _uniform(n, -cfg.rotate_deg, cfg.rotate_deg, gen, dev) * math.pi / 180
    scale = 1.0 / _uniform(n, cfg.zoom[0], cfg.zoom[1], gen, dev)
    flip = torch.where(torch.rand(n, generator=gen, device=dev) < cfg.hflip, -1.0, 1.0)
    tx = _uniform(n, -cfg.translate, cfg.translate, gen, dev) * 2
    ty = _uniform(n, -cfg.translate, cfg.translate, gen, dev) * 2
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_bias_field(x: torch.Tensor, amplitude: float, gen: torch.Generator) -> torch.Tensor:
    """Multiply by a smooth random field (coarse 4x4 noise upsampled), like coil inhomogeneity."""
    n, _, h, w = x.shape
    coarse = (torch.rand(n, 1, 4, 4, generator=gen, device=x.device) * 2 - 1) * amplitude
    field = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)
    return x * torch.exp(field)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur with a per-image sigma (B,)."""
    radius = math.ceil(3 * float(sigma.max()))
    coords = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-(coords[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    kernel = kernel / kernel.sum(1, keepdim=True)  # (B, K)
    n, c, h, w = x.shape
    flat = x.reshape(1, n * c, h, w)
    kx = kernel.repeat_interleave(c, 0)[:, None, None, :]
    ky = kernel.repeat_interleave(c, 0)[:, None, :, None]
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="reflect"), kx, groups=n * c)
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="reflect"), ky, groups=n * c)
    return flat.reshape(n, c, h, w)


def augment_batch(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """Apply the random geometric and photometric transforms to a [0, 1] batch."""
    if not cfg.enabled:
        return x
    n, dev = x.shape[0], x.device
    x = random_affine(x, cfg, gen)
    if cfg.bias_field > 0:
        x = random_bias_field(x, cfg.bias_field, gen)
    x = x.clamp(0, 1)
    gamma = torch.exp(_uniform(n, math.log(cfg.gamma[0]), math.log(cfg.gamma[1]), gen, dev))
    x = x.clamp_min(1e-6) ** gamma[:, None, None, None]
    contrast = _uniform(n, cfg.contrast[0], cfg.contrast[1], gen, dev)[:, None, None, None]
    brightness = _uniform(n, -cfg.brightness, cfg.brightness, gen, dev)[:, None, None, None]
    mean = x.mean(dim=(2, 3), keepdim=True)
    x = (x - mean) * contrast + mean + brightness
    if cfg.blur_prob > 0:
        sigma = _uniform(n, cfg.blur_sigma[0], cfg.blur_sigma[1], gen, dev)
        blurred = gaussian_blur(x, sigma)
        pick = (torch.rand(n, generator=gen, device=dev) < cfg.blur_prob)[:, None, None, None]
        x = torch.where(pick, blurred, x)
    if cfg.noise_prob > 0:
        std = _uniform(n, cfg.noise_std[0], cfg.noise_std[1], gen, dev)[:, None, None, None]
        pick = (torch.rand(n, generator=gen, device=dev) < cfg.noise_prob)[:, None, None, None]
        noise = torch.randn(x.shape, generator=gen, device=dev) * std
        x = x + noise * pick
    return x.clamp(0, 1)


def mixup(
    x: torch.Tensor, targets: torch.Tensor, alpha: float, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp on images and soft targets (B, C); identity when alpha <= 0."""
    if alpha <= 0:
        return x, targets
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    perm = torch.randperm(x.shape[0], generator=gen, device=x.device)
    return lam * x + (1 - lam) * x[perm], lam * targets + (1 - lam) * targets[perm]
