"""Architectures from the registry and Grad-CAM."""

import pytest
import torch

from ml.errors import ConfigError
from ml.gradcam import gradcam
from ml.models import build_model


@pytest.mark.parametrize("arch", ["compact", "monai_densenet121", "monai_efficientnet_b0"])
def test_every_registered_architecture_maps_a_grey_batch_to_class_logits(arch: str) -> None:
    model = build_model(arch, 4).eval()
    with torch.inference_mode():
        assert model(torch.randn(2, 1, 64, 64)).shape == (2, 4)


def test_an_unknown_architecture_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        build_model("resnet9000", 4)


@pytest.mark.parametrize("arch", ["compact", "monai_densenet121"])
def test_gradcam_heatmaps_have_the_input_shape_and_unit_range(arch: str) -> None:
    model = build_model(arch, 4).eval()
    logits, cams = gradcam(model, torch.randn(3, 1, 64, 64))
    assert logits.shape == (3, 4) and cams.shape == (3, 64, 64)
    assert float(cams.min()) >= 0.0 and float(cams.max()) <= 1.0
    assert not model.training
