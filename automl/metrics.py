"""Every metric as a loss to minimise, computed from the predictions a trial keeps.

Classification trials keep class probabilities (n_rows x n_classes) so that any metric,
thresholded or not, can be computed from the same out-of-fold predictions; regression
trials keep the predicted values.

>>> import numpy as np
>>> get_metric("accuracy", "binary").loss(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
0.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from automl.errors import InputError

CLASSIFICATION = ("binary", "multiclass")


def _sklearn_metrics():
    """scikit-learn's metrics, imported on first use: the CLI lists metric names without loading them."""
    from sklearn import metrics

    return metrics


@dataclass(frozen=True)
class Metric:
    """A named score, the tasks it serves and how it turns predictions into a loss."""

    name: str
    tasks: tuple[str, ...]
    score_fn: Callable[[np.ndarray, np.ndarray], float]
    greater_is_better: bool
    optimum: float

    def score(self, y_true: np.ndarray, predictions: np.ndarray) -> float:
        """The metric in its usual direction (AUC near 1 is good, RMSE near 0 is good)."""
        return float(self.score_fn(y_true, predictions))

    def loss(self, y_true: np.ndarray, predictions: np.ndarray) -> float:
        """Distance from the optimum, so that lower is always better."""
        value = self.score(y_true, predictions)
        return float(self.optimum - value if self.greater_is_better else value - self.optimum)

    def score_from_loss(self, loss: float) -> float:
        return float(self.optimum - loss if self.greater_is_better else loss + self.optimum)


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.asarray(proba).argmax(axis=1)


def _roc_auc(y, proba):
    """ROC AUC (one-vs-rest macro average over classes), by ranks: the ensemble selection scores
    thousands of candidate averages, where scikit-learn's checks cost more than the AUC itself."""
    proba = np.asarray(proba)
    y = np.asarray(y)
    if proba.shape[1] == 2:
        classes = np.unique(y)
        if len(classes) == 2 and y.dtype.kind in "iub" and (classes == (0, 1)).all():
            return _binary_auc(y == 1, proba[:, 1])
        return _sklearn_metrics().roc_auc_score(y, proba[:, 1])
    codes = np.arange(proba.shape[1])
    if y.dtype.kind in "iu" and np.isin(codes, y).all() and np.isin(y, codes).all() and np.allclose(proba.sum(axis=1), 1):
        return float(np.mean([_binary_auc(y == c, proba[:, c]) for c in codes]))
    return _sklearn_metrics().roc_auc_score(y, proba, multi_class="ovr", labels=codes)  # its checks and errors


def _binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """The Mann-Whitney statistic: the share of (positive, negative) pairs ranked right, ties half."""
    from scipy.stats import rankdata

    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    return float((rankdata(score)[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _log_loss(y, proba):
    proba = np.asarray(proba)
    y = np.asarray(y)
    if y.dtype.kind in "iu" and len(y) and 0 <= y.min() and y.max() < proba.shape[1]:  # class codes: no checks
        picked = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
        return float(-np.mean(np.log(picked)))
    return _sklearn_metrics().log_loss(y, np.clip(proba, 1e-15, 1.0), labels=np.arange(proba.shape[1]))


def _accuracy(y, proba):
    return _sklearn_metrics().accuracy_score(y, _labels(proba))


def _balanced_accuracy(y, proba):
    return _sklearn_metrics().balanced_accuracy_score(y, _labels(proba))


def _f1(y, proba):
    return _sklearn_metrics().f1_score(y, _labels(proba))


def _f1_macro(y, proba):
    return _sklearn_metrics().f1_score(y, _labels(proba), average="macro")


def _rmse(y, pred):
    return float(np.sqrt(_sklearn_metrics().mean_squared_error(y, pred)))



def _mae(y, pred):
    return _sklearn_metrics().mean_absolute_error(y, pred)


def _r2(y, pred):
    return _sklearn_metrics().r2_score(y, pred)


_METRICS = {
    m.name: m
    for m in [
        Metric("roc_auc", CLASSIFICATION, _roc_auc, True, 1.0),
        Metric("log_loss", CLASSIFICATION, _log_loss, False, 0.0),
        Metric("accuracy", CLASSIFICATION, _accuracy, True, 1.0),  # module-level functions: a Metric
        Metric("balanced_accuracy", CLASSIFICATION, _balanced_accuracy, True, 1.0),  # travels to the
        Metric("f1", ("binary",), _f1, True, 1.0),  # trial process by pickle, and lambdas do not pickle
        Metric("f1_macro", CLASSIFICATION, _f1_macro, True, 1.0),
        Metric("rmse", ("regression",), _rmse, False, 0.0),
        Metric("mae", ("regression",), _mae, False, 0.0),
        Metric("r2", ("regression",), _r2, True, 1.0),
    ]
}

DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
SCORED_ALONGSIDE = {  # also computed for every trial (the trial log, the leaderboard) unless asked otherwise
    "binary": ("roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1"),
    "multiclass": ("log_loss", "accuracy", "balanced_accuracy", "f1_macro"),
    "regression": ("rmse", "mae", "r2"),
}
METRIC_NAMES = tuple(_METRICS)


def check_metric_names(names) -> None:
    """One sentence for a name that is no metric (before any data is read: the task is not known yet)."""
    for name in names:
        if name not in _METRICS:
            raise InputError(f"Unknown metric {name!r}; choose one of {', '.join(METRIC_NAMES)}.")


def get_metric(name: str | None, task: str) -> Metric:
    """The metric called ``name`` (the task's default when None); a bad name or pair is one sentence."""
    if name is None:
        name = DEFAULT_METRIC[task]
    check_metric_names([name])
    metric = _METRICS[name]
    if task not in metric.tasks:
        suited = [m for m, v in _METRICS.items() if task in v.tasks]
        raise InputError(f"Metric {name!r} does not fit a {task} task; use one of {', '.join(suited)}.")
    return metric
