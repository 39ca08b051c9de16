"""Build a network by name, so checkpoints store (arch, kwargs) instead of code.

MONAI's architectures are the established baselines; they train from
scratch here because no pretrained weights can be downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from ml.errors import ConfigError
from ml.models.compact import CompactCNN


def _monai_densenet121(num_classes: int, in_channels: int = 1, dropout: float = 0.2, **kw: Any) -> nn.Module:
    from monai.networks.nets import DenseNet121

    return DenseNet121(
        spatial_dims=2, in_channels=in_channels, out_channels=num_classes, dropout_prob=dropout, **kw
    )


def _monai_efficientnet_b0(num_classes: int, in_channels: int = 1, **kw: Any) -> nn.Module:
    """EfficientNet-B0 (its dropout rate, 0.2, is fixed by the model name in MONAI)."""
    from monai.networks.nets import EfficientNetBN

    return EfficientNetBN(
        "efficientnet-b0",
        pretrained=False,
        spatial_dims=2,
        in_channels=in_channels,
        num_classes=num_classes,
        **kw,
    )


def _compact(num_classes: int, **kw: Any) -> nn.Module:
    return CompactCNN(num_classes=num_classes, **kw)


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {
    "compact": _compact,
    "monai_densenet121": _monai_densenet121,
    "monai_efficientnet_b0": _monai_efficientnet_b0,
}


def build_model(arch: str, num_classes: int, **kwargs: Any) -> nn.Module:
    """Instantiate `arch` with `num_classes` outputs; unknown names are a ConfigError."""
    try:
        factory = ARCHITECTURES[arch]
    except KeyError as exc:
        raise ConfigError(f"unknown architecture {arch!r}; known: {sorted(ARCHITECTURES)}") from exc
    return factory(num_classes=num_classes, **kwargs)


def gradcam_layer(model: nn.Module) -> nn.Module:
    """The layer whose activations Grad-CAM weighs, for every registered arch."""
    if isinstance(model, CompactCNN):
        return model.gradcam_layer
    features = getattr(model, "features", None)
    if features is not None:  # MONAI DenseNet: the final norm/relu of `features`
        return features
    blocks = getattr(model, "_blocks", None)
    if blocks is not None:  # MONAI EfficientNet
        return model._conv_head  # type: ignore[attr-defined]
    raise ConfigError(f"no Grad-CAM layer known for {type(model).__name__}")
