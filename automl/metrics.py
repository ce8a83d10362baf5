"""Every metric as a loss to minimise, computed from the predictions a trial keeps.

Classification trials keep class probabilities (n_rows x n_classes) so that any metric,
thresholded or not, can be computed from the same out-of-fold predictions; regression
trials keep the predicted values. Besides the nine built-in metrics, any scikit-learn scorer
works, by name (``sklearn.metrics.get_scorer_names()``) or as an object from ``make_scorer``: it
is called on a stand-in estimator that answers ``predict``, ``predict_proba`` and
``decision_function`` from the kept predictions. Sample weights reach every metric.

>>> import numpy as np
>>> get_metric("accuracy", "binary").loss(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
0.0
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    scores_labels: bool = False  # computed from predicted labels (a threshold decides them), not probabilities
    ranks: bool = False  # scores how the rows are ordered (pairs of them), not each row: predictions of different
    # models do not mix in it (one model's scores may sit higher than another's), so each model's rows score apart

    def score(self, y_true: np.ndarray, predictions: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        """The metric in its usual direction (AUC near 1 is good, RMSE near 0 is good)."""
        if sample_weight is None:
            return float(self.score_fn(y_true, predictions))
        return float(self.score_fn(y_true, predictions, sample_weight))

    def loss(self, y_true: np.ndarray, predictions: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        """Distance from the optimum, so that lower is always better."""
        value = self.score(y_true, predictions, sample_weight)
        return float(self.optimum - value if self.greater_is_better else value - self.optimum)

    def greater_is_better_score(self, y_true: np.ndarray, predictions: np.ndarray,
                                sample_weight: np.ndarray | None = None) -> float:
        """The score as scikit-learn's scorers give it: higher is better (log loss and RMSE negated)."""
        value = self.score(y_true, predictions, sample_weight)
        return value if self.greater_is_better else -value

    def score_from_loss(self, loss: float) -> float:
        return float(self.optimum - loss if self.greater_is_better else loss + self.optimum)


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.asarray(proba).argmax(axis=1)


def _roc_auc(y, proba, sample_weight=None):
    """ROC AUC (one-vs-rest macro average over classes), by ranks: the ensemble selection scores
    thousands of candidate averages, where scikit-learn's checks cost more than the AUC itself."""
    proba = np.asarray(proba)
    y = np.asarray(y)
    if sample_weight is not None:
        if proba.shape[1] == 2:
            return _sklearn_metrics().roc_auc_score(y, proba[:, 1], sample_weight=sample_weight)
        return _sklearn_metrics().roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(proba.shape[1]),
                                                sample_weight=sample_weight)
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


def _log_loss(y, proba, sample_weight=None):
    proba = np.asarray(proba)
    y = np.asarray(y)
    if y.dtype.kind in "iu" and len(y) and 0 <= y.min() and y.max() < proba.shape[1]:  # class codes: no checks
        picked = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
        return float(-np.average(np.log(picked), weights=sample_weight))
    return _sklearn_metrics().log_loss(y, np.clip(proba, 1e-15, 1.0), labels=np.arange(proba.shape[1]),
                                       sample_weight=sample_weight)


def _accuracy(y, proba, sample_weight=None):
    return _sklearn_metrics().accuracy_score(y, _labels(proba), sample_weight=sample_weight)


def _balanced_accuracy(y, proba, sample_weight=None):
    return _sklearn_metrics().balanced_accuracy_score(y, _labels(proba), sample_weight=sample_weight)


def _f1(y, proba, sample_weight=None):
    return _sklearn_metrics().f1_score(y, _labels(proba), sample_weight=sample_weight)


def _f1_macro(y, proba, sample_weight=None):
    return _sklearn_metrics().f1_score(y, _labels(proba), average="macro", sample_weight=sample_weight)


def _rmse(y, pred, sample_weight=None):
    return float(np.sqrt(_sklearn_metrics().mean_squared_error(y, pred, sample_weight=sample_weight)))


def _mae(y, pred, sample_weight=None):
    return _sklearn_metrics().mean_absolute_error(y, pred, sample_weight=sample_weight)


def _r2(y, pred, sample_weight=None):
    return _sklearn_metrics().r2_score(y, pred, sample_weight=sample_weight)


_METRICS = {
    m.name: m
    for m in [
        Metric("roc_auc", CLASSIFICATION, _roc_auc, True, 1.0, ranks=True),
        Metric("log_loss", CLASSIFICATION, _log_loss, False, 0.0),
        Metric("accuracy", CLASSIFICATION, _accuracy, True, 1.0, True),  # module-level functions: a Metric
        Metric("balanced_accuracy", CLASSIFICATION, _balanced_accuracy, True, 1.0, True),  # travels to the
        Metric("f1", ("binary",), _f1, True, 1.0, True),  # trial process by pickle, and lambdas do not pickle
        Metric("f1_macro", CLASSIFICATION, _f1_macro, True, 1.0, True),
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


REGRESSION_SCORERS = ("explained_variance", "r2", "d2_absolute_error_score", "neg_max_error", "neg_mean_",
                      "neg_median_", "neg_root_mean_")  # scikit-learn scorer names (or prefixes) of regression


def _scorer_names() -> tuple[str, ...]:
    return tuple(_sklearn_metrics().get_scorer_names())


def check_metric_names(names) -> None:
    """One sentence for a name that is neither a built-in metric nor a scikit-learn scorer (before any
    data is read: the task is not known yet)."""
    for name in names:
        if name not in _METRICS and name not in _scorer_names():
            if name.startswith("make_scorer("):
                raise InputError(f"Metric {name!r} is a custom scorer recorded by its description only, which cannot "
                                 "rebuild it: from Python, pass the same scorer object as metric (resume included).")
            raise InputError(f"Unknown metric {name!r}; choose one of {', '.join(METRIC_NAMES)} or a scikit-learn "
                             "scorer name (sklearn.metrics.get_scorer_names()).")


def get_metric(name: Any, task: str, classes: np.ndarray | None = None) -> Metric:
    """The metric called ``name`` (the task's default when None), a scikit-learn scorer name, or a scorer
    object (``make_scorer``); ``classes`` are the labels behind the class codes (a scorer sees labels).
    A bad name or pair is one sentence."""
    if name is None:
        name = DEFAULT_METRIC[task]
    if not isinstance(name, str):
        return _scorer_metric(name, repr(name), _task_of_scorer(name), classes)
    check_metric_names([name])
    if name in _METRICS:
        metric = _METRICS[name]
    else:
        regression = name.startswith(REGRESSION_SCORERS)
        metric = _scorer_metric(_sklearn_metrics().get_scorer(name), name,
                                ("regression",) if regression else CLASSIFICATION, classes)
    if task not in metric.tasks:
        suited = [m for m, v in _METRICS.items() if task in v.tasks]
        raise InputError(f"Metric {name!r} does not fit a {task} task; use one of {', '.join(suited)} "
                         "or a scikit-learn scorer of that task.")
    return metric


def recorded_metric(name: str, task: str) -> Metric:
    """The metric a run directory or model file names, to read its losses back. A custom scorer is
    recorded by its description only: it reads back with its direction (losses stay comparable) but
    cannot score new predictions (one sentence if asked to)."""
    if not name.startswith("make_scorer("):
        return get_metric(name, task)
    return Metric(name, (task,), _ScorerNotStored(name), True, 0.0 if "greater_is_better=False" in name else 1.0)


@dataclass(frozen=True)
class _ScorerNotStored:
    name: str

    def __call__(self, *_args) -> float:
        raise InputError(f"The metric {self.name} is a custom scorer that was not stored (only its description "
                         "was); score with the fitted estimator in the same Python session, or use a named metric.")


def _task_of_scorer(scorer: Any) -> tuple[str, ...]:
    if not callable(scorer):
        raise InputError(f"metric must be a metric name or a scikit-learn scorer (make_scorer), got {scorer!r}.")
    try:
        pickle.dumps(scorer)
    except Exception:  # noqa: BLE001 - any failure to pickle means the trial process cannot receive it
        raise InputError(f"The scorer {scorer!r} cannot be pickled (a lambda or a local function?), so trials in "
                         "another process cannot use it; build it with make_scorer from a module-level function.") from None
    return (*CLASSIFICATION, "regression")


def _scorer_metric(scorer: Any, name: str, tasks: tuple[str, ...], classes: np.ndarray | None) -> Metric:
    """A scikit-learn scorer as a Metric: higher is better (scorers negate losses), optimum 0 for a
    negated loss and 1 otherwise (the loss 1 - score suits every bounded score)."""
    negated = getattr(scorer, "_sign", 1) < 0 or name.startswith("neg_")
    labels = None if classes is None else tuple(np.asarray(classes).tolist())
    labels_only = getattr(scorer, "_response_method", None) == "predict" and tasks != ("regression",)
    return Metric(name, tasks, ScorerScore(scorer, labels), True, 0.0 if negated else 1.0, labels_only)


@dataclass(frozen=True)
class ScorerScore:
    """Calls a scikit-learn scorer on kept predictions (picklable: it travels to the trial process)."""

    scorer: Any
    classes: tuple | None = None  # class labels in code order; None: the codes themselves

    def __call__(self, y_true, predictions, sample_weight=None) -> float:
        from automl.recorded import RecordedClassifier, RecordedRegressor  # scikit-learn, on first use

        predictions = np.asarray(predictions, dtype=np.float64)
        rows = np.arange(len(predictions)).reshape(-1, 1)  # the stand-in looks its answers up by row number
        if predictions.ndim == 2:  # labels only for a scorer that names its pos_label: others see codes 0..k-1,
            named = self.classes is not None and "pos_label" in getattr(self.scorer, "_kwargs", {})  # so the
            classes = np.asarray(self.classes) if named else np.arange(predictions.shape[1])  # 2nd class is positive
            y_true, model = classes[np.asarray(y_true, dtype=int)], RecordedClassifier(predictions, classes)
        else:
            model = RecordedRegressor(predictions)
        weights = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(self.scorer(model, rows, y_true, **weights))


def check_metric_on(metric: Metric, y: np.ndarray, n_classes: int) -> None:
    """Score a plain guess (each row's class half-believed, or the target itself) once, so that a metric
    that cannot score this task (a binary-only scorer on three classes) is one sentence before the search."""
    if n_classes:
        guess = np.full((len(y), n_classes), 0.5 / max(n_classes - 1, 1))
        guess[np.arange(len(y)), y] = 0.5
    else:
        guess = np.asarray(y, dtype=np.float64) + 1.0
    try:
        value = metric.score(y, guess)
    except Exception as problem:  # noqa: BLE001 - whatever the scorer raises, it cannot serve this task
        first = str(problem).splitlines()[0] if str(problem) else type(problem).__name__
        raise InputError(f"Metric {metric.name!r} cannot score this {'classification' if n_classes else 'regression'} "
                         f"task: {first}") from None
    if not np.isfinite(value):
        raise InputError(f"Metric {metric.name!r} gives {value} on this task's target; choose another metric.")
