"""Save and load fitted models as skops files: no arbitrary code runs on load.

The file holds a plain dict: the format number, the library versions it was made with, the
training columns and their types, the fitted predictor (a scikit-learn Pipeline, or an ensemble
of them) and what is needed to check and prepare new data. Only
the types listed in ``TRUSTED_TYPES`` (plus scikit-learn's own, which skops trusts) load.
Files are written under a temporary name and renamed into place. (skops takes about a second
to import: trial processes import this module only when they have models to write.)
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from zipfile import ZIP_DEFLATED
from pathlib import Path

import numpy as np
import skops.io as sio

from automl.data import Schema
from automl.errors import InputError

logger = logging.getLogger(__name__)

FORMAT = 1
TRUSTED_TYPES = frozenset({  # beyond what skops trusts by default; found by saving every family (tested)
    "collections.OrderedDict", "numpy.dtype", "automl.ensemble.WeightedEnsemble",
    "lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor",
    "xgboost.core.Booster", "xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.feature_selection._mutual_info.mutual_info_classif",
    "sklearn.feature_selection._mutual_info.mutual_info_regression",
    "sklearn.feature_selection._univariate_selection.chi2",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "sklearn.metrics._dist_metrics.EuclideanDistance64", "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.neighbors._kd_tree.KDTree", "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
})
STAMPED_LIBRARIES = ("automl", "scikit-learn", "lightgbm", "xgboost", "numpy")


def library_versions() -> dict[str, str]:
    """Installed versions of automl and the libraries a fitted model depends on."""
    out = {}
    for name in STAMPED_LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def save_model(model, path: str | Path) -> Path:
    """Write a fitted AutoClassifier/AutoRegressor to ``path`` and return the path."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "kind": type(model).__name__,
        "versions": library_versions(),
        "pipeline": model.best_pipeline_,
        "has_config": model.best_config_ is not None,
        "schema": model.schema_.to_json(),
        "columns": {c: "categorical" if c in model.schema_.categorical else "numeric" for c in model.schema_.columns},
        "input_columns": list(model.input_columns_),
        "named_columns": hasattr(model, "feature_names_in_"),
        "classes": model.classes_.tolist() if hasattr(model, "classes_") else None,
        "task": model.task_,
        "metric": model.metric_,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    sio.dump(payload, temporary, compression=ZIP_DEFLATED, compresslevel=1)
    os.replace(temporary, path)
    return path


def save_fitted(obj, path: Path) -> int:
    """Write fitted objects (a trial's fold models) atomically with skops; returns the file's size."""
    temporary = path.with_name(path.name + ".tmp")
    sio.dump(obj, temporary, compression=ZIP_DEFLATED, compresslevel=1)
    os.replace(temporary, path)
    return path.stat().st_size


def load_fitted(path: Path):
    """Read what ``save_fitted`` wrote, trusting only the types a model file may hold."""
    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise InputError(f"Refusing to load {path}: it holds the untrusted type {refused[0]}.")
    return sio.load(path, trusted=untrusted)


def load_model(path: str | Path):
    """Read a model written by ``save_model``; refuse files with untrusted types or of another origin."""
    from automl.estimators import AutoClassifier, AutoRegressor

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Model file not found: {path}.")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception:
        raise InputError(f"{path} is not a model file written by automl.") from None
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise InputError(f"Refusing to load {path}: it holds the untrusted type {refused[0]}.")
    payload = sio.load(path, trusted=untrusted)
    if not isinstance(payload, dict) or payload.get("kind") not in ("AutoClassifier", "AutoRegressor"):
        raise InputError(f"{path} is not a model file written by automl.")
    if payload.get("format", 0) > FORMAT:
        raise InputError(f"{path} was written by a newer automl (file format {payload['format']}); upgrade automl to read it.")
    _warn_on_version_drift(path, payload.get("versions", {}))
    model = (AutoClassifier if payload["kind"] == "AutoClassifier" else AutoRegressor)()
    model.best_pipeline_ = payload["pipeline"]
    model.best_config_ = {} if payload["has_config"] else None
    model.schema_ = Schema.from_json(payload["schema"])
    model.input_columns_ = list(payload["input_columns"])
    model.n_features_in_ = len(model.input_columns_)
    if payload["named_columns"]:
        model.feature_names_in_ = np.asarray(model.input_columns_, dtype=object)
    model.task_ = payload["task"]
    model.metric_ = payload["metric"]
    if payload["classes"] is not None:
        model.classes_ = np.asarray(payload["classes"])
    return model


def _warn_on_version_drift(path: Path, saved: dict[str, str]) -> None:
    current = library_versions()
    for name, version in saved.items():
        if version.split(".")[:2] != current.get(name, "").split(".")[:2]:
            logger.warning("%s was written with %s %s but %s is installed; predictions may differ.",
                           path, name, version, current.get(name))
            return
