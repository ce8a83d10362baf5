"""The typed steps of one configuration, as a trial process receives them (no ConfigSpace here)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from automl.errors import InputError


@dataclass(frozen=True)
class StepSpec:
    """One pipeline step: which component, the import path of its estimator and its arguments; a model
    that reads categorical columns itself names the argument that lists them (``categorical_argument``)."""

    component: str
    estimator: str | None
    params: dict[str, Any]
    categorical_argument: str | None = None


def import_object(path: str) -> Any:
    """``"sklearn.decomposition.PCA"`` -> the class; the only way a YAML name becomes code."""
    module, _, attribute = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        raise InputError(f"Cannot import {path!r} named in a search-space file.") from None
