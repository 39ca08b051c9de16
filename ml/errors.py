"""Typed errors raised by the `ml` package.

Callers (the platform's adapter, the CLI) catch `MLError` and turn it into a
clear message; nothing in `ml` should surface a bare exception for bad input.
"""


class MLError(Exception):
    """Base class of every error the ml package raises on purpose."""


class InvalidInputError(MLError, ValueError):
    """An image or array cannot be classified: wrong shape, NaN/inf, empty,
    unreadable file. A `ValueError` too, so generic callers still catch it."""


class CheckpointError(MLError):
    """A checkpoint is missing, unreadable, corrupt or of an unknown format."""


class ClassMismatchError(CheckpointError):
    """The checkpoint's class names disagree with its weights or with what the
    caller expects (e.g. the head has 3 outputs but 4 class names)."""


class DatasetError(MLError):
    """A dataset folder is missing, empty, or not laid out as
    `<root>/<split>/<class>/*`."""


class ConfigError(MLError, ValueError):
    """A training/evaluation configuration is invalid (unknown key, bad value)."""
