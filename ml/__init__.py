"""RadCase's own PyTorch package for brain-MRI classification.

`ml` is a plain Python package: it never imports Django, `apps` or the
project's `config` package (an import-linter contract checks this). It takes
arrays and paths and returns plain dataclasses, so researchers can use it from
the command line (`python -m ml ...`) and the platform can call it through its
single adapter module.

Stable names for the platform adapter (see docs/ml.md):
`ml.DEFAULT_CHECKPOINT`, `ml.errors`, `ml.checkpoint.read_checkpoint_info`,
`ml.checkpoint.load_checkpoint`, `ml.inference.Predictor`,
`ml.inference.Prediction`, `ml.inference.overlay_png`.
"""

from ml.paths import DEFAULT_CHECKPOINT, REPO_ROOT, default_dataset_root, shared_dir

__version__ = "0.1.0"

__all__ = ["DEFAULT_CHECKPOINT", "REPO_ROOT", "__version__", "default_dataset_root", "shared_dir"]
