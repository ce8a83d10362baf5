"""Stand-in estimators that answer from predictions already made, so that a scikit-learn scorer
(which calls an estimator's ``predict``, ``predict_proba`` or ``decision_function``) can score a
trial's kept out-of-fold predictions. ``X`` is a column of row numbers into those predictions."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


class RecordedClassifier(ClassifierMixin, BaseEstimator):
    """Class probabilities (rows x classes) by row number; labels are ``classes`` in column order."""

    def __init__(self, proba: np.ndarray, classes: np.ndarray):
        self.proba = proba
        self.classes = classes
        self.classes_ = classes

    def fit(self, X, y=None) -> RecordedClassifier:  # nothing to learn: it answers from ``proba``
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.proba[np.asarray(X)[:, 0].astype(int)]

    def decision_function(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return proba[:, 1] if proba.shape[1] == 2 else proba

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


class RecordedRegressor(RegressorMixin, BaseEstimator):
    """Predicted values by row number."""

    def __init__(self, values: np.ndarray):
        self.values = values

    def fit(self, X, y=None) -> RecordedRegressor:
        return self

    def predict(self, X) -> np.ndarray:
        return self.values[np.asarray(X)[:, 0].astype(int)]
