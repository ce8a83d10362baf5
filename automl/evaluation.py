"""One trial: fit a pipeline on resampling folds, keep out-of-fold predictions, score them.

The resampling rule (also in the README): k-fold cross-validation while the data is small
enough for k fits to be cheap, a single holdout split otherwise.

* ``holdout`` (67 % train / 33 % validation) when rows > 50,000 or when
  rows x columns / budget-seconds > 50,000 cells per second (the search would see too few trials);
* otherwise ``cv`` with 5 folds, or 3 folds above 10,000 rows.

Folds are stratified for classification. The user can force either with ``resampling=``.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from automl.data import Schema
from automl.metrics import Metric
from automl.pipeline import build_pipeline
from automl.steps import StepSpec

HOLDOUT_ROWS = 50_000
HOLDOUT_CELLS_PER_SECOND = 50_000
HOLDOUT_FRACTION = 0.33
BUDGET_END = "BudgetEnd"  # how an evaluation killed because the run's time ran out (not its own limit) is marked


@dataclass(frozen=True)
class Resampling:
    """How a trial validates: ``cv`` with n_splits folds, or one ``holdout`` split."""

    kind: str
    n_splits: int = 5

    def describe(self) -> str:
        return f"{self.n_splits}-fold cross-validation" if self.kind == "cv" else f"holdout ({HOLDOUT_FRACTION:.0%} validation)"


def choose_resampling(n_rows: int, n_columns: int, time_budget: float | None, forced: str | None = None) -> Resampling:
    """Apply the documented rule; ``forced`` ("cv" or "holdout") overrides it.

    >>> choose_resampling(1_000, 10, 60).kind, choose_resampling(200_000, 10, 60).kind
    ('cv', 'holdout')
    """
    folds = 3 if n_rows > 10_000 else 5
    if forced == "cv":
        return Resampling("cv", folds)
    if forced == "holdout":
        return Resampling("holdout", 1)
    too_many_cells = time_budget is not None and n_rows * n_columns / max(time_budget, 1.0) > HOLDOUT_CELLS_PER_SECOND
    if n_rows > HOLDOUT_ROWS or too_many_cells:
        return Resampling("holdout", 1)
    return Resampling("cv", folds)


def make_folds(resampling: Resampling, y: np.ndarray, *, classification: bool, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/validation index pairs, the same for every trial of a run."""
    rows = np.arange(len(y))
    if resampling.kind == "holdout":
        stratify = y if classification and np.bincount(y).min() >= 2 else None
        train, valid = train_test_split(rows, test_size=HOLDOUT_FRACTION, random_state=seed, stratify=stratify)
        return [(np.sort(train), np.sort(valid))]
    n_splits = resampling.n_splits
    if classification:
        largest = np.bincount(y).max()  # StratifiedKFold needs n_splits <= the largest class
        n_splits = max(2, min(n_splits, largest, len(y)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a class rarer than n_splits: StratifiedKFold warns, we accept
            return list(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(rows, y))
    return list(KFold(max(2, min(n_splits, len(y))), shuffle=True, random_state=seed).split(rows))


@dataclass(frozen=True)
class TrialData:
    """Everything a worker needs to evaluate configurations; sent to it once."""

    X: pd.DataFrame
    y: np.ndarray
    schema: Schema
    task: str
    n_classes: int
    folds: list[tuple[np.ndarray, np.ndarray]]
    metric: Metric
    seed: int
    extra_metrics: tuple[Metric, ...] = ()  # also scored on the out-of-fold predictions, for the trial log


@dataclass(frozen=True)
class TrialOutcome:
    """What one evaluation produced; ``loss`` is None when it failed."""

    loss: float | None
    fit_seconds: float
    predict_seconds: float
    warnings: dict[str, int] = field(default_factory=dict)  # warning category -> times raised
    error: str | None = None
    predictions: np.ndarray | None = field(default=None, repr=False)  # out-of-fold, float32, NaN where unvalidated
    scores: dict[str, float] = field(default_factory=dict)  # every metric of the run, in its usual direction


def evaluate(steps: dict[str, StepSpec], data: TrialData, fitted: list | None = None,
             fraction: float = 1.0) -> TrialOutcome:
    """Fit a fresh pipeline on each training fold and predict its validation fold.

    Warnings raised inside are counted by category, never shown. ``fitted`` (a list) receives
    each fold's (pipeline, class codes), for a caller that may keep the trial's models.
    ``fraction`` < 1 fits on that share of each training fold (multi-fidelity search); the
    validation rows stay the same, so losses at every fraction compare.
    """
    fit_seconds = predict_seconds = 0.0
    classification = data.task != "regression"
    shape = (len(data.y), data.n_classes) if classification else (len(data.y),)
    predictions = np.full(shape, np.nan, dtype=np.float32)
    validated = np.zeros(len(data.y), dtype=bool)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            template = build_pipeline(steps, data.schema, seed=data.seed)
            for train, valid in data.folds:
                train = subsample(train, fraction, data.seed)
                pipeline = clone(template)
                y_train, codes = data.y[train], None
                if classification:  # a fold may lack a class: train on consecutive codes (XGBoost needs them)
                    codes, y_train = np.unique(y_train, return_inverse=True)
                start = time.perf_counter()
                pipeline.fit(data.X.iloc[train], y_train)
                middle = time.perf_counter()
                predictions[valid] = predict(pipeline, data.X.iloc[valid], data.n_classes if classification else None,
                                             codes)
                fit_seconds += middle - start
                predict_seconds += time.perf_counter() - middle
                validated[valid] = True
                if fitted is not None:
                    fitted.append((pipeline, codes))
        except Exception as exc:  # any failure of a configuration is a failed trial, not a failed search
            error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            error = None
    counts = dict(Counter(w.category.__name__ for w in caught))
    if error is None and not np.all(np.isfinite(predictions[validated])):
        error = "ValueError: the model predicted NaN or infinity"
    if error is not None:
        return TrialOutcome(None, fit_seconds, predict_seconds, counts, error)
    y_true, y_pred = data.y[validated], predictions[validated]
    loss = data.metric.loss(y_true, y_pred)
    if not np.isfinite(loss):
        return TrialOutcome(None, fit_seconds, predict_seconds, counts, f"ValueError: the metric gave {loss}")
    scores = {data.metric.name: data.metric.score_from_loss(loss)}
    for extra in data.extra_metrics:
        try:
            scores.setdefault(extra.name, extra.score(y_true, y_pred))
        except ValueError:  # e.g. AUC when a validation fold holds one class: that metric is left out
            continue
    return TrialOutcome(loss, fit_seconds, predict_seconds, counts, None, predictions, scores)


def subsample(rows: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A fixed random ``fraction`` of ``rows`` (the same for every trial at that fraction), in order.

    >>> subsample(np.arange(10), 0.5, seed=0).size
    5
    """
    if fraction >= 1.0:
        return rows
    keep = max(2, int(np.ceil(fraction * len(rows))))
    return np.sort(np.random.default_rng(seed).permutation(rows)[:keep])


def refit(steps: dict[str, StepSpec], data: TrialData, fraction: float = 1.0) -> Pipeline:
    """The configuration fit on every training row (or a fixed ``fraction`` of them, when there is
    no time for all): the final model."""
    X, y = data.X, data.y
    if fraction < 1.0:  # all rows hold every class; a share may not
        rows = subsample(np.arange(len(y)), fraction, data.seed)
        X, y = X.iloc[rows], y[rows]
        if data.task != "regression" and np.unique(y).size < data.n_classes:
            raise ValueError(f"{fraction:.0%} of the rows lack a class")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_pipeline(steps, data.schema, seed=data.seed).fit(X, y)


def predict(pipeline: Pipeline, X: pd.DataFrame, n_classes: int | None, codes: np.ndarray | None = None) -> np.ndarray:
    """Class probabilities over all n_classes, or regression values.

    ``codes`` maps the classes the pipeline was trained on (0..k-1) to the run's class codes,
    for a training fold that lacked some class.
    """
    if n_classes is None:
        return np.asarray(pipeline.predict(X), dtype=np.float64).ravel()
    proba = np.asarray(pipeline.predict_proba(X), dtype=np.float64)
    seen = np.asarray(pipeline.classes_, dtype=int)
    full = np.zeros((len(X), n_classes))
    full[:, seen if codes is None else codes[seen]] = proba
    return full


def baseline_loss(data: TrialData) -> float:
    """The loss of a constant predictor (class priors, or the mean) on the same folds.

    A cheap, metric-aware yardstick: failed trials are told to the optimizer as worse than it.
    """
    regression = data.task == "regression"
    predictions = np.zeros(len(data.y) if regression else (len(data.y), data.n_classes))
    validated = np.zeros(len(data.y), dtype=bool)
    for train, valid in data.folds:
        if regression:
            predictions[valid] = data.y[train].mean()
        else:
            predictions[valid] = np.bincount(data.y[train], minlength=data.n_classes) / len(train)
        validated[valid] = True
    try:
        return float(data.metric.loss(data.y[validated], predictions[validated]))
    except ValueError:  # e.g. AUC of a constant score on one class
        return 1.0
