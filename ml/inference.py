"""`Predictor`: load a checkpoint once, classify slices, explain with Grad-CAM.

This is the platform's entry point (through its adapter). Input arrays are
validated first and every failure is a typed `MLError`. The checkpoint's own
preprocessing is applied, so callers pass raw pixel data of any numeric
dtype. Probabilities are temperature-calibrated; `tumor_positive` compares
P(tumour) = 1 - P(notumor) with the threshold chosen on validation for the
target sensitivity.
"""

from __future__ import annotations

import io
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from ml.checkpoint import CheckpointInfo, load_checkpoint
from ml.errors import InvalidInputError
from ml.gradcam import gradcam
from ml.paths import DEFAULT_CHECKPOINT
from ml.preprocess import Geometry, normalize_batch, prepare
from ml.train import pick_device
from ml.tta import tta_views

Uncertainty = Literal["mc_dropout", "tta"] | None
MC_SAMPLES = 20


@dataclass
class Prediction:
    """One slice's result (see docs/ml.md for the contract)."""

    probabilities: dict[str, float]
    predicted_class: str
    tumor_probability: float
    tumor_positive: bool
    threshold: float
    uncertainty: dict[str, float] | None
    heatmap: np.ndarray | None
    model_version: str
    elapsed_ms: float

    def to_dict(self, include_heatmap: bool = False) -> dict[str, Any]:
        """JSON-ready dict (the heatmap is large, so it is left out unless asked)."""
        d = asdict(self)
        d["heatmap"] = self.heatmap.tolist() if (include_heatmap and self.heatmap is not None) else None
        if self.heatmap is not None and not include_heatmap:
            d["heatmap_shape"] = list(self.heatmap.shape)
        return d


def as_slices(array: Any) -> tuple[list[np.ndarray], bool]:
    """Validate `array` and split it into 2-D grey slices; returns (slices, was_batch).

    Accepted: (H, W); (H, W, 3|4) RGB/RGBA (reduced to grey by channel mean,
    alpha ignored); (N, H, W) volume or batch.
    """
    try:
        arr = np.asarray(array)
    except Exception as exc:
        raise InvalidInputError(f"cannot convert input to an array: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InvalidInputError(f"expected a numeric array, got dtype {arr.dtype}")
    if arr.size == 0:
        raise InvalidInputError(f"empty array (shape {arr.shape})")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise InvalidInputError("complex-valued arrays are not images")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise InvalidInputError("input contains NaN or infinite values")
    arr = arr.astype(np.float32) if arr.dtype == bool else arr
    if arr.ndim == 2:
        slices, batch = [arr], False
    elif arr.ndim == 3 and arr.shape[-1] in (3, 4) and arr.shape[0] > 4:
        slices, batch = [arr[..., :3].astype(np.float32).mean(-1)], False
    elif arr.ndim == 3:
        slices, batch = list(arr), True
    else:
        raise InvalidInputError(f"expected (H, W), (H, W, 3|4) or (N, H, W); got shape {arr.shape}")
    for s in slices:
        if min(s.shape) < 8:
            raise InvalidInputError(f"slice of shape {s.shape} is too small (min 8x8)")
    return slices, batch


def overlay_png(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> bytes:
    """A PNG of the grey slice with the heatmap in the 'jet' colour map on top."""
    from matplotlib import colormaps

    slices, _ = as_slices(image)
    grey = slices[0].astype(np.float32)
    if heatmap.shape != grey.shape:
        raise InvalidInputError(f"heatmap shape {heatmap.shape} != image shape {grey.shape}")
    lo, hi = float(grey.min()), float(grey.max())
    grey = (grey - lo) / (hi - lo) if hi > lo else np.zeros_like(grey)
    colour = colormaps["jet"](np.clip(heatmap, 0, 1))[..., :3]
    blend = (1 - alpha * heatmap[..., None]) * grey[..., None] + alpha * heatmap[..., None] * colour
    buf = io.BytesIO()
    Image.fromarray(np.clip(blend * 255, 0, 255).astype(np.uint8), mode="RGB").save(buf, format="PNG")
    return buf.getvalue()


class Predictor:
    """Loads a checkpoint once; `predict` is then cheap and thread-compatible per call."""

    def __init__(
        self, checkpoint_path: str | Path = DEFAULT_CHECKPOINT, device: str | torch.device | None = None
    ):
        self.device = torch.device(device) if device is not None else pick_device()
        loaded = load_checkpoint(checkpoint_path, self.device)
        self.model = loaded.model
        self.info: CheckpointInfo = loaded.info
        self.preprocess = loaded.preprocess
        self.class_names = self.info.class_names
        self._neg = self.class_names.index(self.info.negative_class)

    def _inputs(self, slices: list[np.ndarray]) -> tuple[torch.Tensor, list[Geometry]]:
        arrays, geoms = zip(*(prepare(s, self.info.input_size, self.preprocess) for s in slices), strict=True)
        x = torch.from_numpy(np.stack(arrays)).unsqueeze(1).to(self.device)
        return normalize_batch(x), list(geoms)

    @torch.inference_mode()
    def _probs(self, x: torch.Tensor, uncertainty: Uncertainty) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Calibrated probabilities and, if asked, the per-sample stack used for uncertainty."""
        t = self.info.temperature
        if uncertainty is None:
            return torch.softmax(self.model(x) / t, 1), None
        if uncertainty == "mc_dropout":
            for m in self.model.modules():
                if isinstance(m, torch.nn.Dropout):
                    m.train()
            try:
                stack = torch.stack([torch.softmax(self.model(x) / t, 1) for _ in range(MC_SAMPLES)])
            finally:
                self.model.eval()
        elif uncertainty == "tta":
            stack = torch.stack([torch.softmax(self.model(v) / t, 1) for v in tta_views(x)])
        else:
            raise InvalidInputError(f"uncertainty must be None, 'mc_dropout' or 'tta', not {uncertainty!r}")
        return stack.mean(0), stack

    def predict(
        self, array: Any, *, gradcam: bool = False, uncertainty: Uncertainty = None
    ) -> Prediction | list[Prediction]:
        """Classify a slice (returns one Prediction) or a batch/volume (returns a list)."""
        start = time.perf_counter()
        slices, batch = as_slices(array)
        x, geoms = self._inputs(slices)
        probs, stack = self._probs(x, uncertainty)
        heatmaps: list[np.ndarray | None] = [None] * len(slices)
        if gradcam:
            _, cams = _gradcam(self.model, x)
            heatmaps = [g.to_original(c) for g, c in zip(geoms, cams.cpu().numpy(), strict=True)]
            heatmaps = [np.clip(h, 0.0, 1.0).astype(np.float32) for h in heatmaps]
        probs_np = probs.float().cpu().numpy()
        elapsed = (time.perf_counter() - start) * 1000.0
        out = []
        for i, p in enumerate(probs_np):
            tumor_p = float(1.0 - p[self._neg])
            unc = None
            if stack is not None:
                s = stack[:, i].float().cpu().numpy()
                mean = s.mean(0)
                entropy = float(-(mean * np.log(np.clip(mean, 1e-12, 1))).sum())
                unc = {
                    "method": uncertainty,
                    "predictive_entropy": entropy,
                    "std_of_predicted_class": float(s[:, int(mean.argmax())].std()),
                    "tumor_probability_std": float((1.0 - s[:, self._neg]).std()),
                }
            out.append(
                Prediction(
                    probabilities={c: float(v) for c, v in zip(self.class_names, p, strict=True)},
                    predicted_class=self.class_names[int(p.argmax())],
                    tumor_probability=tumor_p,
                    tumor_positive=bool(tumor_p >= self.info.threshold),
                    threshold=self.info.threshold,
                    uncertainty=unc,
                    heatmap=heatmaps[i],
                    model_version=self.info.model_version,
                    elapsed_ms=elapsed / len(slices),
                )
            )
        return out if batch else out[0]


_gradcam = gradcam
