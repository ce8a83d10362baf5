"""Save and load fitted models as skops files: no arbitrary code runs on load.

The file holds a plain dict: the format number, the library versions it was made with, the
training columns and their types, the fitted predictor (a scikit-learn Pipeline, or an ensemble
of them) and what is needed to check and prepare new data. Only
the types listed in ``automl.files.TRUSTED_TYPES`` (plus scikit-learn's own, which skops trusts)
load. Files are written under a temporary name and renamed into place.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from automl.data import Schema, as_frame, prepare_features
from automl.errors import InputError
from automl.files import library_versions, load_fitted, save_fitted
from automl.trials.evaluation import predict

logger = logging.getLogger(__name__)

FORMAT = 1
KINDS = ("AutoClassifier", "AutoRegressor")
REQUIRED_KEYS = {"kind", "pipeline", "has_config", "schema", "input_columns", "named_columns", "classes", "task",
                 "metric"}


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
        "columns": {c: model.schema_.kind(c) for c in model.schema_.columns},
        "input_columns": list(model.input_columns_),
        "named_columns": hasattr(model, "feature_names_in_"),
        "classes": model.classes_.tolist() if hasattr(model, "classes_") else None,
        "task": model.task_,
        "metric": model.metric_,
        "final": model.final_model_.to_json(),  # what it is and its estimated score (files before: absent)
        "threshold": getattr(model, "decision_threshold_", None),  # binary, tuned for a label metric, or None
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    save_fitted(payload, path)
    return path


def read_model_file(path: str | Path) -> dict:
    """The checked content of a file written by ``save_model`` (``automl.estimators.load_model`` turns it
    back into an estimator); one sentence for a file of untrusted types, of another origin or a newer format."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Model file not found: {path}.")
    payload = load_fitted(path, what="model file")
    if not isinstance(payload, dict) or payload.get("kind") not in KINDS or not REQUIRED_KEYS <= set(payload):
        raise InputError(f"{path} is not a model file written by automl.")
    predictor = payload["pipeline"]
    if not callable(getattr(predictor, "predict", None)) or (
            payload["classes"] is not None and not callable(getattr(predictor, "predict_proba", None))):
        raise InputError(f"{path} is not a model file written by automl: its predictor is a "
                         f"{type(predictor).__name__}, which cannot predict.")
    if payload.get("format", 0) > FORMAT:
        raise InputError(f"{path} was written by a newer automl (file format {payload['format']}); upgrade automl to read it.")
    _warn_on_version_drift(path, payload.get("versions", {}))
    return payload


def _warn_on_version_drift(path: Path, saved: dict[str, str]) -> None:
    current = library_versions()
    for name, version in saved.items():
        if version.split(".")[:2] != current.get(name, "").split(".")[:2]:
            logger.warning("%s was written with %s %s but %s is installed; predictions may differ.",
                           path, name, version, current.get(name))
            return


def predict_final(pipeline, features: pd.DataFrame, n_classes: int | None, constant: bool) -> np.ndarray:
    """The final predictor's class probabilities (``n_classes``) or values (None) for prepared rows; a
    constant predictor (nothing could be refit) takes no features."""
    if constant:
        dummy = np.zeros((len(features), 1))
        return pipeline.predict(dummy) if n_classes is None else pipeline.predict_proba(dummy)
    return predict(pipeline, features, n_classes)


class SavedModel:
    """A model file read back without the estimators: its predictor and the preparation its rows need
    (what ``automl report`` scores held-out rows with). ``automl.load_model`` gives the estimator."""

    def __init__(self, payload: dict):
        self.pipeline = payload["pipeline"]
        self.schema = Schema.from_json(payload["schema"])
        self.task_ = payload["task"]
        self.metric_ = payload["metric"]
        self._constant = not payload["has_config"]
        self.classes_ = None if payload["classes"] is None else np.asarray(payload["classes"])
        self.threshold = payload.get("threshold")

    @classmethod
    def read(cls, path: str | Path) -> SavedModel:
        return cls(read_model_file(path))

    def fit(self, X=None, y=None) -> SavedModel:
        """Fitted already (scikit-learn's permutation_importance asks for the method)."""
        return self

    def _predict(self, X) -> np.ndarray:
        n_classes = None if self.classes_ is None else len(self.classes_)
        return predict_final(self.pipeline, prepare_features(as_frame(X), self.schema), n_classes, self._constant)

    def predict_proba(self, X) -> np.ndarray:
        return self._predict(X)

    def predict(self, X) -> np.ndarray:
        values = self._predict(X)
        if self.classes_ is None:
            return values
        if self.threshold is not None:
            from automl.run.threshold import at_threshold

            values = at_threshold(values, self.threshold)
        return self.classes_[values.argmax(axis=1)]
