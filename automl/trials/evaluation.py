"""One trial: fit a pipeline on resampling folds, keep out-of-fold predictions, score them."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from automl.data import Schema
from automl.metrics import Metric
from automl.records import TrialStatus
from automl.space.pipeline import build_pipeline
from automl.space.steps import StepSpec
from automl.trials.outcomes import TrialOutcome
from automl.trials.rounds import OnCourseOver, TrialPace, on_course_past, rounds_watched


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
    weights: np.ndarray | None = None  # sample weights: every fit and every score uses them
    groups: np.ndarray | None = None   # group codes: the nested estimate keeps each group together

    def fit_params(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The pipeline's ``fit`` arguments for these rows (all when None): the weights, to its model."""
        if self.weights is None:
            return {}
        return {"model__sample_weight": self.weights if rows is None else self.weights[rows]}

    def row_weights(self, rows: np.ndarray) -> np.ndarray | None:
        """The weights of these rows (a boolean mask or indices) for a score; None without weights."""
        return None if self.weights is None else self.weights[rows]


def evaluate(steps: dict[str, StepSpec], data: TrialData, fitted: list | None = None,
             fraction: float = 1.0, limit_s: float | None = None, only: tuple[int, ...] | None = None) -> TrialOutcome:
    """Fit a fresh pipeline on each training fold and predict its validation fold.

    Warnings raised inside are counted by category, never shown. ``fitted`` (a list) receives
    each fold's (pipeline, class codes), for a caller that may keep the trial's models.
    ``fraction`` < 1 fits on that share of each training fold (multi-fidelity search); the
    validation rows stay the same, so losses at every fraction compare. A trial whose first folds
    put it on course to pass its ``limit_s`` stops there (a TIMEOUT with ``projected_s``): waiting
    for the kill at the limit would spend the whole limit to learn the same. ``only`` (fold numbers)
    evaluates those folds alone; the other rows' predictions are NaN.
    """
    folds = data.folds if only is None else [data.folds[k] for k in only]
    fit_seconds = predict_seconds = 0.0
    projected = None
    classification = data.task != "regression"
    shape = (len(data.y), data.n_classes) if classification else (len(data.y),)
    predictions = np.full(shape, np.nan, dtype=np.float32)
    validated = np.zeros(len(data.y), dtype=np.int16)  # how many folds validated each row (repeated k-fold: more than one)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            template = build_pipeline(steps, data.schema, seed=data.seed)
            begun = time.perf_counter()
            for done, (train, valid) in enumerate(folds, start=1):
                train = subsample(train, fraction, data.seed, data.y if classification else None, data.groups)
                pipeline = clone(template)
                y_train, codes = data.y[train], None
                if classification:  # a fold may lack a class: train on consecutive codes (XGBoost needs them)
                    codes, y_train = np.unique(y_train, return_inverse=True)
                start = time.perf_counter()
                pace = None if limit_s is None else TrialPace(limit_s, start - begun, len(folds) - done + 1)
                with rounds_watched(pipeline.steps[-1][1], data.fit_params(train), pace) as params:
                    pipeline.fit(data.X.iloc[train], y_train, **params)
                middle = time.perf_counter()
                average_into(predictions, validated, valid,
                             predict(pipeline, data.X.iloc[valid], data.n_classes if classification else None, codes))
                fit_seconds += middle - start
                predict_seconds += time.perf_counter() - middle
                if fitted is not None:
                    fitted.append((pipeline, codes))
                spent = time.perf_counter() - begun  # after the last fold there is nothing left to save
                projected = on_course_past(limit_s, spent, spent * len(folds) / done) if done < len(folds) else None
                if projected is not None:
                    error, status = (f"TimeoutError: stopped after {done} of {len(folds)} folds, on course for "
                                     f"{projected:.1f} s, past its limit of {limit_s:.1f} s"), TrialStatus.TIMEOUT
                    break
            else:
                error, status = None, TrialStatus.FAILED
        except OnCourseOver as over:  # a boosted model's rounds so far: it would pass its limit in this fold
            projected, status = over.heading_s, TrialStatus.TIMEOUT
            error = (f"TimeoutError: stopped in fold {done} of {len(folds)}, on course for {projected:.1f} s, "
                     f"past its limit of {limit_s:.1f} s")
        except Exception as exc:  # any failure of a configuration is a failed trial, not a failed search
            error = f"{type(exc).__name__}: {exc}"[:500]
            status = TrialStatus.MEMORY if isinstance(exc, MemoryError) else TrialStatus.FAILED
    counts = dict(Counter(w.category.__name__ for w in caught))
    validated = validated > 0
    if error is None and not np.all(np.isfinite(predictions[validated])):
        error = "ValueError: the model predicted NaN or infinity"
    if error is not None:
        return TrialOutcome(None, fit_seconds, predict_seconds, counts, error, status=status, projected_s=projected)
    y_true, y_pred, weights = data.y[validated], predictions[validated], data.row_weights(validated)
    loss = data.metric.loss(y_true, y_pred, weights)
    if not np.isfinite(loss):
        return TrialOutcome(None, fit_seconds, predict_seconds, counts, f"ValueError: the metric gave {loss}",
                            status=TrialStatus.FAILED)
    scores = {data.metric.name: data.metric.score_from_loss(loss)}
    for extra in data.extra_metrics:
        try:
            scores.setdefault(extra.name, extra.score(y_true, y_pred, weights))
        except ValueError:  # e.g. AUC when a validation fold holds one class: that metric is left out
            continue
    return TrialOutcome(loss, fit_seconds, predict_seconds, counts, None, predictions, scores)


def average_into(predictions: np.ndarray, counts: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """Add one fold's ``values`` for ``rows`` to the running mean of their predictions; ``counts`` holds
    how many folds predicted each row so far (repeated k-fold validates every row once per repeat).

    >>> p, n = np.zeros(3), np.zeros(3, dtype=np.int16)
    >>> average_into(p, n, np.array([0, 1]), np.array([2.0, 4.0])); average_into(p, n, np.array([1]), np.array([6.0]))
    >>> p.tolist(), n.tolist()
    ([2.0, 5.0, 0.0], [1, 2, 0])
    """
    seen = counts[rows].astype(np.float64)
    if not seen.any():  # the common case: each row validated once
        predictions[rows] = values
    else:
        seen = seen.reshape(-1, *([1] * (np.ndim(values) - 1)))
        predictions[rows] = np.where(seen > 0, (np.nan_to_num(predictions[rows]) * seen + values) / (seen + 1), values)
    counts[rows] += 1


def subsample(rows: np.ndarray, fraction: float, seed: int, labels: np.ndarray | None = None,
              groups: np.ndarray | None = None) -> np.ndarray:
    """A fixed random ``fraction`` of ``rows`` (the same for every trial at that fraction), in order; with
    the rows' class ``labels``, that fraction of each class's rows, rounded up: no class goes missing. With
    the rows' ``groups`` and a fraction of at least a half (the estimate's half-size fits), whole groups,
    drawn until they hold the share of the rows nearest the fraction (then, with ``labels``, a group more
    for each class they lack): a learning curve over groups is what new groups will see, and halving each
    group's rows would leave every group in (the step to all rows too small). Smaller shares (multi-fidelity's
    ninth and third) stay shares of rows: a few whole groups would hold far more or less than them.

    >>> subsample(np.arange(10), 0.5, seed=0).size
    5
    >>> np.unique(np.array([0] * 9 + [1])[subsample(np.arange(10), 0.2, 0, np.array([0] * 9 + [1]))]).tolist()
    [0, 1]
    >>> np.unique(np.repeat([0, 1, 2, 3], 3)[subsample(np.arange(12), 0.5, 0, groups=np.repeat([0, 1, 2, 3], 3))]).size
    2
    """
    if fraction >= 1.0:
        return rows
    rng = np.random.default_rng(seed)
    if groups is not None and fraction >= 0.5:
        _, codes, sizes = np.unique(groups[rows], return_inverse=True, return_counts=True)
        drawn = rng.permutation(len(sizes))
        reached = np.cumsum(sizes[drawn])
        count = int(np.argmin(np.abs(reached - fraction * len(rows)))) + 1  # the draw's prefix nearest the share
        taken = np.zeros(len(sizes), dtype=bool)
        taken[drawn[:count]] = True
        if labels is not None:
            for c in np.setdiff1d(labels[rows], labels[rows[taken[codes]]]):
                taken[next(g for g in drawn if not taken[g] and np.any(labels[rows[codes == g]] == c))] = True
        return np.sort(rows[taken[codes]])
    if labels is None:
        keep = max(2, int(np.ceil(fraction * len(rows))))
        return np.sort(rng.permutation(rows)[:keep])
    strata = [rows[labels[rows] == c] for c in np.unique(labels[rows])]
    return np.sort(np.concatenate([rng.permutation(s)[:int(np.ceil(fraction * len(s)))] for s in strata]))


def refit(steps: dict[str, StepSpec], data: TrialData, fraction: float = 1.0) -> Pipeline:
    """The configuration fit on every training row (or a fixed ``fraction`` of them, when there is
    no time for all): the final model."""
    X, y, rows = data.X, data.y, None
    if fraction < 1.0:  # all rows hold every class; a share may not
        rows = subsample(np.arange(len(y)), fraction, data.seed)
        X, y = X.iloc[rows], y[rows]
        if data.task != "regression" and np.unique(y).size < data.n_classes:
            raise ValueError(f"{fraction:.0%} of the rows lack a class")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_pipeline(steps, data.schema, seed=data.seed).fit(X, y, **data.fit_params(rows))


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
    validated = np.zeros(len(data.y), dtype=np.int16)
    weights = np.ones(len(data.y)) if data.weights is None else data.weights
    for train, valid in data.folds:
        if regression:
            constant = np.average(data.y[train], weights=weights[train])
        else:
            counts = np.bincount(data.y[train], weights=weights[train], minlength=data.n_classes)
            constant = counts / counts.sum()
        average_into(predictions, validated, valid, np.broadcast_to(constant, predictions[valid].shape))
    validated = validated > 0
    try:
        return float(data.metric.loss(data.y[validated], predictions[validated], data.row_weights(validated)))
    except ValueError:  # e.g. AUC of a constant score on one class
        return 1.0


def first_plan(folds: list[tuple[np.ndarray, np.ndarray]]) -> int:
    """How many of the leading folds validate each row at most once: all of them, or of repeated folds the
    first repeat's (whose models are the ones kept: all 15 forests of 5 x 3 folds took 18 s to write, 19 MB)."""
    seen = np.zeros(1 + max((int(valid.max()) for _, valid in folds if len(valid)), default=-1), dtype=bool)
    for k, (_, valid) in enumerate(folds):
        if seen[valid].any():
            return k
        seen[valid] = True
    return len(folds)
