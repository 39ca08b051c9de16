"""The shipped default checkpoint on real clean-test images (skips without ../shared)."""

from pathlib import Path

import numpy as np

from ml.checkpoint import read_checkpoint_info
from ml.data.io import load_image
from ml.inference import Predictor
from ml.paths import DEFAULT_CHECKPOINT

# Every 7th clean-test image (no exact or pHash copy in Training), up to 10 per class:
# a fixed sample chosen before looking at the model's answers.
CLEAN_EXAMPLES = {
    "glioma": [
        "Te-glTr_0000.jpg",
        "Te-glTr_0007.jpg",
        "Te-gl_0014.jpg",
        "Te-gl_0021.jpg",
        "Te-gl_0028.jpg",
        "Te-gl_0036.jpg",
        "Te-gl_0043.jpg",
        "Te-gl_0050.jpg",
        "Te-gl_0057.jpg",
        "Te-gl_0064.jpg",
    ],
    "meningioma": [
        "Te-meTr_0000.jpg",
        "Te-me_0110.jpg",
        "Te-me_0123.jpg",
        "Te-me_0136.jpg",
        "Te-me_0146.jpg",
        "Te-me_0156.jpg",
        "Te-me_0163.jpg",
        "Te-me_0173.jpg",
        "Te-me_0181.jpg",
        "Te-me_0188.jpg",
    ],
    "notumor": [
        "Te-no_0105.jpg",
        "Te-no_0181.jpg",
        "Te-no_0247.jpg",
        "Te-no_0274.jpg",
        "Te-no_0324.jpg",
        "Te-no_0362.jpg",
    ],
    "pituitary": [
        "Te-piTr_0000.jpg",
        "Te-pi_0015.jpg",
        "Te-pi_0022.jpg",
        "Te-pi_0031.jpg",
        "Te-pi_0038.jpg",
        "Te-pi_0047.jpg",
        "Te-pi_0056.jpg",
        "Te-pi_0065.jpg",
        "Te-pi_0074.jpg",
        "Te-pi_0082.jpg",
    ],
}


def test_the_default_checkpoint_is_small_and_self_describing(default_checkpoint: Path) -> None:
    assert default_checkpoint == DEFAULT_CHECKPOINT
    assert default_checkpoint.stat().st_size <= 20 * 1024 * 1024
    info = read_checkpoint_info(default_checkpoint)
    assert info.class_names == ["glioma", "meningioma", "notumor", "pituitary"]
    assert info.negative_class == "notumor" and info.temperature > 0
    for name in ("model_card.md", "model_card.json", "metrics.json"):
        assert (default_checkpoint.parent / name).is_file()


def test_the_default_model_classifies_real_clean_test_images(
    default_checkpoint: Path, real_root: Path
) -> None:
    predictor = Predictor(default_checkpoint, device="cpu")
    correct, total = 0, 0
    for cls, names in CLEAN_EXAMPLES.items():
        for name in names:
            p = predictor.predict(load_image(real_root / "Testing" / cls / name))
            correct += p.predicted_class == cls
            total += 1
    # A regression guard well below the measured clean-test accuracy (see metrics.json).
    assert correct / total >= 0.85, f"{correct}/{total} correct"


def test_the_default_models_gradcam_has_the_input_shape(default_checkpoint: Path, real_root: Path) -> None:
    image = load_image(real_root / "Testing" / "glioma" / CLEAN_EXAMPLES["glioma"][2])
    p = Predictor(default_checkpoint, device="cpu").predict(image, gradcam=True)
    assert p.heatmap is not None and p.heatmap.shape == image.shape
    assert np.isfinite(p.heatmap).all() and p.heatmap.max() <= 1.0
