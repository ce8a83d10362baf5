"""The estimate's last step: from the fold models' rows to all rows, along a learning curve.

The nested estimate scores models fit on the training folds (4/5 of the rows in 5-fold CV, 2/3 for a
holdout), while the saved model is refit on all rows: where the table's learning curve still rises,
the saved model does better than the estimate says. So the final model's members are fit once more
on half of a few folds' training rows, predicting the same validation rows, and the final model's
score there at the two sizes gives the step to all rows. With a power-law curve, loss(n) = a + b n^-c,

    step = R (score at the folds' size - score at half of it),   R = (q^-c - 1) / ((q/2)^-c - q^-c)

for folds that fit a share q of the rows (R = 0.25 for 5 folds, c = 0.5). Measured with fixed models
on 61 tables up to 5,000 rows, three splits each (benchmarks/learning_curve.py, README there): the
mean signed error against the test score went from -0.012 to -0.008 AUC, +0.077 to +0.045 log loss
and +6.5 % to +4.4 % RMSE. The step is left out (the estimate stays as it was) for folds in time order,
members validated on a share of their rows, or when its fits do not finish before the budget's end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from automl.metrics import Metric
from automl.records import ScoreEstimate, TrialRecord
from automl.run.estimate import nested_score, validation_fold
from automl.run.threshold import at_threshold
from automl.trials.evaluation import TrialData, first_plan
from automl.trials.outcomes import TrialStopped
from automl.trials.worker import TrialWorker

logger = logging.getLogger(__name__)

EXPONENT = 0.5      # c of the power-law curve (the n^-1/2 rate of a statistical estimate)
CURVE_FOLDS = 2     # folds the step is measured on: its fits take a fifth of a 5-fold trial's
HALF = 0.5          # the smaller size: this share of each fold's training rows
SAFETY = 1.5        # the step's fits are planned this much longer than their share of the trials' fit time
SUFFIX = ", stepped to all rows"


def step_ratio(kept: float, exponent: float = EXPONENT) -> float:
    """R: the step from the folds' share ``kept`` of the rows to all of them, per step from half that share.

    >>> round(step_ratio(0.8), 3)
    0.255
    """
    return (kept ** -exponent - 1.0) / ((kept * HALF) ** -exponent - kept ** -exponent)


def curve_folds(folds: list[tuple[np.ndarray, np.ndarray]], n_rows: int) -> tuple[int, ...] | None:
    """The folds the step is measured on (the first ones, or a holdout's one); None for folds in time order
    (each validating rows after all it fits), where the curve is over time as much as over rows."""
    plan = first_plan(folds) if folds else 0
    if plan == 0 or all(len(train) and len(valid) and train.max() < valid.min() for train, valid in folds[:plan]):
        return None
    return tuple(range(min(CURVE_FOLDS, plan)))


def curve_seconds(members: list[TrialRecord], n_folds: int, only: tuple[int, ...], repeated: bool) -> float:
    """The seconds the step's fits are planned to take: the members' fit time on those folds, at half size
    (and at full size too when the folds repeat: the kept predictions then average several fold models)."""
    share = len(only) / n_folds * (HALF + (1.0 if repeated else 0.0))
    return SAFETY * share * sum(t.fit_seconds for t in members)


def step_to_all_rows(worker: TrialWorker, to_steps: Callable[[dict], dict], members: dict[int, float],
                     trials: dict[int, TrialRecord], predictions: dict[int, np.ndarray], data: TrialData, *,
                     threshold: float | None = None, end: float | None = None) -> float | None:
    """The step of the final model's score (``members``' weights over ``trials``) from the folds' size to
    all rows, measured on the curve folds in the ``worker``; None when it cannot be (see the module)."""
    only = curve_folds(data.folds, len(data.y))
    if only is None or not members or any(trials[i].fraction < 1.0 or i not in predictions for i in members):
        return None
    repeated = first_plan(data.folds) < len(data.folds)
    planned = curve_seconds([trials[i] for i in members], len(data.folds), only, repeated)
    left = None if end is None else end - time.monotonic()
    if left is not None and planned > left:
        logger.info("No step to all rows: its fits would take about %.1f s, %.1f s are left.", planned, left)
        return None
    fold = validation_fold(data.folds, len(data.y))
    rows = np.isin(fold, only)
    at_size: dict[float, list[np.ndarray]] = {1.0: [], HALF: []}
    try:
        for trial_id in members:
            at_size[HALF].append(_evaluated(worker, to_steps(trials[trial_id].config), HALF, only, end)[rows])
            at_size[1.0].append(_evaluated(worker, to_steps(trials[trial_id].config), 1.0, only, end)[rows]
                                if repeated else np.asarray(predictions[trial_id])[rows])
    except TrialStopped as stopped:
        logger.info("No step to all rows: %s", stopped)
        return None
    weights = list(members.values())
    scores = {size: _score(data, sum(w * p.astype(np.float64) for w, p in zip(weights, parts)), rows, fold[rows],
                           threshold) for size, parts in at_size.items()}
    kept = float(np.mean([len(data.folds[k][0]) for k in only])) / len(data.y)
    step = step_ratio(kept) * (scores[1.0] - scores[HALF])
    logger.info("Final model on %d rows of %d fold(s): %s %.4f fit on their folds' rows, %.4f on half of them; "
                "step to all rows %+.4f.", rows.sum(), len(only), data.metric.name, scores[1.0], scores[HALF], step)
    return step if np.isfinite(step) else None


def stepped(estimate: ScoreEstimate, step: float, metric: Metric) -> ScoreEstimate:
    """The estimate moved by the ``step`` (never past the metric's optimum), its method saying so."""
    value = estimate.value + step
    value = min(value, metric.optimum) if metric.greater_is_better else max(value, metric.optimum)
    return ScoreEstimate(estimate.metric, float(value), estimate.method + SUFFIX, estimate.rows,
                         float(value - estimate.value))


def _evaluated(worker: TrialWorker, steps: dict, fraction: float, only: tuple[int, ...], end: float | None) -> np.ndarray:
    """The out-of-fold predictions of one configuration on the ``only`` folds, fit on ``fraction`` of their rows."""
    left = None if end is None else max(end - time.monotonic(), 0.0)
    outcome = worker.run("evaluate", (steps, False, fraction, None, only), left)
    if outcome.predictions is None:
        raise TrialStopped(outcome.status, outcome.error or "no predictions")
    return outcome.predictions


def _score(data: TrialData, combined: np.ndarray, rows: np.ndarray, groups: np.ndarray,
           threshold: float | None) -> float:
    """The run's metric of the combined predictions on ``rows`` (per fold for a metric of ranks)."""
    if threshold is not None:
        combined = at_threshold(combined, threshold)
    return nested_score(data.metric, data.y[rows], combined, groups, data.row_weights(rows))
