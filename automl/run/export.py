"""Export a fitted model as plain scikit-learn objects: deployment needs no automl.

The final predictor becomes scikit-learn's own estimators, holding the fitted pipelines as
they are (``FrozenEstimator`` keeps them from being refit):

* a classifier: ``VotingClassifier(voting="soft")`` with the ensemble weights (one member for
  a single pipeline); it maps the class codes the pipelines learned back to the labels;
* a regressor: the ``Pipeline`` itself, or ``VotingRegressor`` with the weights;

The file is written with skops; loading it needs scikit-learn, skops and, if the model uses
them, lightgbm and xgboost. It takes the training columns as a DataFrame, as read from a CSV:
categorical columns as strings, missing values as NaN (automl's own ``predict`` also accepts
other types and converts them; the exported pipeline does not).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline

from automl.ensemble import WeightedEnsemble
from automl.errors import InputError
from automl.files import save_fitted
from automl.run.modelfile import read_model_file


def model_path(source: str | Path) -> Path:
    """The model file itself, or ``model.skops`` inside a run directory."""
    source = Path(source)
    if source.is_dir():
        if not (source / "model.skops").is_file():
            raise InputError(f"{source} holds no model.skops: give a model file or a run directory whose fit finished.")
        return source / "model.skops"
    return source


def to_sklearn(model):
    """The fitted AutoClassifier/AutoRegressor's final predictor as plain scikit-learn estimators."""
    return _plain(model.best_pipeline_, model.task_, getattr(model, "classes_", None))


def _plain(predictor, task: str, classes) -> Pipeline | VotingClassifier | VotingRegressor:
    if task == "regression":
        return _regressor(predictor)
    members = predictor.members if isinstance(predictor, WeightedEnsemble) else [predictor]
    weights = list(predictor.weights) if isinstance(predictor, WeightedEnsemble) else [1.0]
    voting = VotingClassifier([(f"member_{i}", FrozenEstimator(m)) for i, m in enumerate(members)],
                              voting="soft", weights=weights)
    return voting.fit(None, np.asarray(classes))  # members are frozen: this only records the labels


def export_model(source: str | Path, out: str | Path) -> Path:
    """Write the predictor of a model file or run directory to ``out`` as plain scikit-learn; returns ``out``."""
    import skops.io as sio

    payload = read_model_file(model_path(source))
    estimator = _plain(payload["pipeline"], payload["task"], payload["classes"])
    if payload.get("threshold") is not None:  # the tuned decision threshold: predict labels as automl does
        estimator = _at_threshold(estimator, payload["threshold"], payload["classes"])
    foreign = [t for t in sio.get_untrusted_types(data=sio.dumps(estimator)) if t.split(".")[0] == "automl"]
    if foreign:  # would make the file unloadable without automl: a bug, never written
        raise RuntimeError(f"The exported model still holds the automl type {foreign[0]}.")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_fitted(estimator, out)
    return out


def _at_threshold(voting: VotingClassifier, threshold: float, classes) -> FixedThresholdClassifier:
    """The soft-voting classifier predicting the second class where its probability passes ``threshold``."""
    fixed = FixedThresholdClassifier(FrozenEstimator(voting), threshold=float(np.nextafter(threshold, 1.0)),  # >=:
                                     pos_label=classes[1],  # so P exactly at the threshold stays negative, as in predict
                                     response_method="predict_proba")
    return fixed.fit(np.zeros((2, 1)), np.asarray(classes))  # frozen: this only records the labels


def _regressor(predictor) -> Pipeline | VotingRegressor:
    if isinstance(predictor, WeightedEnsemble):
        return _voting_regressor(predictor.members, list(predictor.weights))
    return predictor


def _voting_regressor(members: list, weights: list[float]) -> VotingRegressor:
    voting = VotingRegressor([(f"member_{i}", FrozenEstimator(m)) for i, m in enumerate(members)], weights=weights)
    return voting.fit(None, np.zeros(1))  # members are frozen: fit only sets up the estimator
