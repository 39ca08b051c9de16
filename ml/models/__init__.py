"""Network architectures: our compact CNN and MONAI baselines, via one registry."""

from ml.models.registry import ARCHITECTURES, build_model, gradcam_layer

__all__ = ["ARCHITECTURES", "build_model", "gradcam_layer"]
