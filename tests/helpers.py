"""Test-only estimators that misbehave on purpose, named by tests/components/*.yaml."""

import os
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class MisbehavingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class after doing what ``mode`` says: sleep, abort, raise, allocate or warn."""

    def __init__(self, mode: str = "sleep", seconds: float = 3600.0):
        self.mode = mode
        self.seconds = seconds

    def fit(self, X, y):
        if self.mode == "sleep":
            time.sleep(self.seconds)
        elif self.mode == "abort":
            os.abort()
        elif self.mode == "raise":
            raise RuntimeError("misbehaving on purpose")
        elif self.mode == "allocate":  # 64 MB at a time, every page touched, until killed (or 8 GB)
            held = []
            for _ in range(128):
                held.append(np.ones(8 * 2**20))
                time.sleep(0.01)
        elif self.mode == "warn":
            warnings.warn("a library complaining", UserWarning)
            warnings.warn("did not converge", RuntimeWarning)
        self.classes_ = np.unique(y)
        self.majority_ = self.classes_[np.argmax(np.bincount(np.searchsorted(self.classes_, y)))]
        return self

    def predict_proba(self, X):
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, np.searchsorted(self.classes_, self.majority_)] = 1.0
        return proba

    def predict(self, X):
        return np.full(len(X), self.majority_)
