"""Grad-CAM: which regions pushed the network towards a class.

Hooks the registry's Grad-CAM layer, weighs its activations by the spatially
averaged gradient of the chosen logit, keeps the positive part and upsamples
to the input. Heatmaps are normalised per image to [0, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ml.models import gradcam_layer


def gradcam(
    model: nn.Module, x: torch.Tensor, class_idx: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (logits, heatmaps (B, H, W) in [0, 1]) for the batch `x` (already normalised).

    `class_idx` defaults to each image's predicted class.
    """
    layer = gradcam_layer(model)
    store: dict[str, torch.Tensor] = {}

    def hook(_module: nn.Module, _inp: tuple, output: torch.Tensor) -> None:
        output.retain_grad()
        store["act"] = output

    handle = layer.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            x = x.detach().requires_grad_(False)
            logits = model(x)
            target = logits.argmax(1) if class_idx is None else class_idx
            score = logits.gather(1, target.view(-1, 1)).sum()
            model.zero_grad(set_to_none=True)
            score.backward()
        act, grad = store["act"], store["act"].grad
        weights = grad.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * act).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
        flat = cam.flatten(1)
        lo, hi = flat.min(1, keepdim=True)[0], flat.max(1, keepdim=True)[0]
        cam = ((flat - lo) / (hi - lo).clamp_min(1e-8)).view_as(cam)
    finally:
        handle.remove()
        model.train(was_training)
    return logits.detach(), cam.detach()
