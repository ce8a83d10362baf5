"""The decision threshold of a binary classifier, tuned for a metric that scores labels.

Metrics such as F1 or balanced accuracy score the predicted labels, and ``predict`` labels a row
positive when P(second class) passes a threshold: 0.5 by default, rarely the best one when the
classes are imbalanced. The threshold is chosen where the metric is best on the final selection's
out-of-fold predictions (rows no member was fit on), stored with the model and used by ``predict``.
``predict_proba`` is unchanged.

>>> proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.6, 0.4], [0.2, 0.8]])
>>> at_threshold(proba, 0.35).argmax(axis=1).tolist()
[0, 0, 1, 1]
"""

from __future__ import annotations

import warnings

import numpy as np

from automl.metrics import Metric

QUANTILES = np.linspace(0.01, 0.99, 99)  # the candidates: these quantiles of the predicted P(second class), and 0.5


def at_threshold(proba: np.ndarray, threshold: float) -> np.ndarray:
    """Binary probabilities shifted so that their argmax is the label the threshold gives (P > threshold)."""
    positive = np.clip(np.asarray(proba, dtype=np.float64)[:, 1] - threshold + 0.5, 0.0, 1.0)
    shifted = np.column_stack([1.0 - positive, positive])
    shifted[positive == 0.5] = (0.5 + 1e-9, 0.5 - 1e-9)  # exactly at the threshold: not positive
    return shifted


def tune_threshold(proba: np.ndarray, y: np.ndarray, metric: Metric, weights: np.ndarray | None = None) -> float:
    """The threshold on P(second class) with the best ``metric`` on these rows (the one nearest 0.5 among
    ties, so that 0.5 stays unless another is better)."""
    positive = np.asarray(proba, dtype=np.float64)[:, 1]
    candidates = np.unique(np.concatenate([[0.5], np.quantile(positive, QUANTILES)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        losses = np.array([metric.loss(y, at_threshold(proba, t), weights) for t in candidates])
    best = np.flatnonzero(losses <= losses.min() + 1e-12)
    return float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]])


def tunes_threshold(metric: Metric, task: str) -> bool:
    """Whether the fit tunes a threshold: a binary task and a metric of labels."""
    return task == "binary" and metric.scores_labels
