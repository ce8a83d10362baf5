"""An honest estimate of the final model's score: the final selection, cross-validated.

The final model is chosen on the trials' out-of-fold predictions (the best trial, or Caruana's
ensemble weights), so its score on those same predictions is optimistic: it was picked for it.
Here the choice is made again once per group of rows, on the other groups' rows only, and the
combination it picks predicts the group's rows. Every row's prediction then comes from a choice
that never saw the row; the metric over all of them is the estimate ("nested out-of-fold"), or for
a metric of the rows' order (ROC AUC) the mean of each group's own. The groups are the resampling's
own validation folds where there are several (each group's rows are then predicted by one fold model
per trial, so a group's AUC mixes no models' scales: on 24 small binary tables the mean error against
the test AUC went from -0.023 to -0.021, benchmarks/estimate_methods.py), else random.

What it does not undo: the search proposed configurations after seeing every validation row, a
smaller optimism (measured over the bench in README, Concepts). Random groups are dealt by class for
classification, with a fixed seed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np

from automl.ensemble import select_weights
from automl.metrics import Metric, get_metric
from automl.records import ScoreEstimate
from automl.run.threshold import at_threshold, tune_threshold
from automl.trials.evaluation import first_plan

GROUPS = 5
METHOD = "nested out-of-fold"

Weights = dict[int, float]  # candidate index -> weight


def estimate_selection(candidates: list[int], predictions: dict[int, np.ndarray], y: np.ndarray, metric: Metric, *,
                       rounds: int, seed: int, deadline: float | None = None,
                       costs: dict[int, float] | None = None,
                       sample_weight: np.ndarray | None = None, groups: np.ndarray | None = None,
                       folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
                       threshold: bool = False) -> ScoreEstimate | None:
    """The nested out-of-fold score of choosing among ``candidates`` (trial ids, best first) by their
    out-of-fold ``predictions``: the best one (``rounds`` 0) or Caruana's weights over ``rounds``
    rounds (under the same predict-cost cap as the fit, with the trials' ``costs``), then with
    ``threshold`` the binary decision threshold, tuned on the same rows as the weights (which are then
    chosen by ROC AUC, as the fit chooses them: ``selection_metric``). None with too few rows predicted
    by every candidate, a metric that cannot be computed on a group's complement (or on any two groups,
    for AUC), or no time left before the (monotonic) ``deadline``."""
    ids = [i for i in candidates if i in predictions]
    if not ids:
        return None
    stack = np.stack([np.asarray(predictions[i], dtype=np.float64) for i in ids])
    rows = np.isfinite(stack.reshape(len(ids), len(y), -1)).all(axis=(0, 2))  # a holdout predicts some rows
    stack, y = stack[:, rows], np.asarray(y)[rows]
    weights = None if sample_weight is None else np.asarray(sample_weight)[rows]
    given = None if groups is None else np.asarray(groups)[rows]
    if given is None and folds:
        by_fold = validation_fold(folds, len(rows))[rows]
        given = by_fold if len(np.unique(by_fold)) >= 2 else None  # a holdout's one fold: random groups within it
    groups = row_groups(y, classes=stack.ndim == 3, seed=seed, users=given)
    cost = None if costs is None else [costs.get(i, 0.0) for i in ids]
    if groups is None:
        return None

    def choose(inner: np.ndarray) -> Weights | None:
        if deadline is not None and time.monotonic() > deadline:
            return None
        return choose_weights(stack[:, inner], y[inner], chooser, rounds, deadline, cost,
                              None if weights is None else weights[inner])

    chooser = selection_metric(metric, threshold) if rounds >= 1 else metric

    def cut(inner: np.ndarray, combined: np.ndarray) -> float:
        return tune_threshold(combined, y[inner], metric, None if weights is None else weights[inner])

    try:
        nested = nested_predictions(stack, groups, choose, cut if threshold else None)
        if nested is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ScoreEstimate(metric.name, nested_score(metric, y, nested, groups, weights), METHOD, int(len(y)))
    except ValueError:  # e.g. a class missing from a group's complement: the metric is undefined there
        return None


def nested_score(metric: Metric, y: np.ndarray, nested: np.ndarray, groups: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
    """The metric of the nested predictions: over all rows, or for a metric of the rows' order (ROC AUC)
    the mean of each group's own score, weighted by its rows (their weights), as each group is predicted
    by its own choice and pooling them mixes the choices' scales (on 24 small binary tables the pooled AUC
    ran 0.035 below the test AUC, the per-group mean 0.024: benchmarks/estimate_methods.py). A group
    that lacks a class has no AUC and is left out; with fewer than two scored, the pooled score."""
    pooled = metric.score(y, nested, sample_weight)
    if not metric.ranks:
        return pooled
    scores, sizes = [], []
    for group in np.unique(groups):
        held = groups == group
        if len(np.unique(y[held])) < len(np.unique(y)):
            continue
        score = metric.score(y[held], nested[held], None if sample_weight is None else sample_weight[held])
        if np.isfinite(score):
            scores.append(score)
            sizes.append(held.sum() if sample_weight is None else sample_weight[held].sum())
    return float(np.average(scores, weights=sizes)) if len(scores) >= 2 and sum(sizes) > 0 else pooled


def selection_metric(metric: Metric, threshold: bool) -> Metric:
    """What ensemble selection scores averages with: the run's metric, or for a metric of labels whose
    threshold is tuned afterwards ROC AUC, which ranks without a threshold (selected at 0.5, the average
    already sits where 0.5 suits it and tuning finds nothing: measured, benchmarks/threshold_f1.py)."""
    return get_metric("roc_auc", "binary") if threshold else metric


def validation_fold(folds: list[tuple[np.ndarray, np.ndarray]], n_rows: int) -> np.ndarray:
    """Each row's validation fold in the folds' first plan (of repeated folds, the first repeat's); -1 for
    a row no fold validates (the first rows of time-ordered folds)."""
    fold = np.full(n_rows, -1)
    for k, (_, valid) in enumerate(folds[:first_plan(folds)]):
        fold[valid] = k
    return fold


def row_groups(y: np.ndarray, *, classes: bool, seed: int, n_groups: int = GROUPS,
               users: np.ndarray | None = None) -> np.ndarray | None:
    """A group number per row: shuffled, dealt in turn (within each class for classification), so the
    groups are of even size and class mix. None below two rows per group. With the ``users``' own
    groups, whole groups are dealt (none split), and None below two of them."""
    if len(y) < 2 * n_groups:
        return None
    rng = np.random.default_rng(seed)
    if users is not None:
        labels, codes = np.unique(users, return_inverse=True)
        if len(labels) < 2:
            return None
        return (rng.permutation(len(labels)) % min(n_groups, len(labels)))[codes]
    groups = np.empty(len(y), dtype=int)
    strata = [np.flatnonzero(y == c) for c in np.unique(y)] if classes else [np.arange(len(y))]
    dealt = 0
    for members in strata:
        groups[rng.permutation(members)] = (dealt + np.arange(len(members))) % n_groups
        dealt += len(members)
    return groups


def nested_predictions(stack: np.ndarray, groups: np.ndarray, choose: Callable[[np.ndarray], Weights | None],
                       threshold: Callable[[np.ndarray, np.ndarray], float] | None = None) -> np.ndarray | None:
    """Each group's rows predicted by the weights ``choose`` picks from the other groups' rows (their
    indices), at the binary decision ``threshold`` tuned there (given those rows and their combined
    predictions); None if a choice is None."""
    out = np.empty_like(stack[0])
    for group in np.unique(groups):
        held = groups == group
        inner = np.flatnonzero(~held)
        weights = choose(inner)
        if weights is None:
            return None
        out[held] = sum(w * stack[k][held] for k, w in weights.items())
        if threshold is not None:
            out[held] = at_threshold(out[held], threshold(inner, sum(w * stack[k][inner] for k, w in weights.items())))
    return out


def choose_weights(stack: np.ndarray, y: np.ndarray, metric: Metric, rounds: int,
                   deadline: float | None = None, costs: list[float] | None = None,
                   sample_weight: np.ndarray | None = None) -> Weights:
    """The final selection on these rows alone: candidates ranked by their loss here, then the best
    (``rounds`` 0) or Caruana's weights (under the cost cap, with each candidate's predict ``costs``),
    exactly as the fit chooses (``automl.ensemble``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        losses = [metric.loss(y, candidate, sample_weight) for candidate in stack]
    order = sorted(range(len(stack)), key=lambda k: (losses[k], k))
    if rounds < 1:
        return {order[0]: 1.0}
    return select_weights(dict(enumerate(stack)), order, y, metric, rounds, deadline,
                          None if costs is None else dict(enumerate(costs)), sample_weight=sample_weight)
