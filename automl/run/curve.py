"""The estimate's last step: from the fold models' rows to all rows, along a learning curve.

The nested estimate scores models fit on the training folds (4/5 of the rows in 5-fold CV, 2/3 for a
holdout), while the saved model is refit on all rows: where the table's learning curve still rises,
the saved model does better than the estimate says. So the final model's members are fit once more
on half of a few folds' training rows (half of each class's, for classification), predicting the
same validation rows, and the final model's score there at the two sizes gives the step to all
rows. With a power-law curve, loss(n) = a + b n^-c,

    step = R (score at the folds' size - score at half of it),   R = (q^-c - 1) / ((q/2)^-c - q^-c)

for folds that fit a share q of the rows (R = 0.25 for 5 folds, c = 0.5). Measured with fixed models
on 61 tables up to 5,000 rows, three splits each (benchmarks/learning_curve.py, README there): the
mean signed error against the test score went from -0.012 to -0.008 AUC, +0.077 to +0.043 log loss
and +6.5 % to +4.2 % RMSE, measured on two folds as here. No step (the estimate stays as it was)
for folds in time order, a tuned decision threshold (chosen on these very rows at the full size),
a final model with a member fit on a share of its rows (multi-fidelity trials, a best refit on a
share, kept fold models), or fits that fail or do not finish before the budget's end.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable

import numpy as np

from automl.metrics import Metric
from automl.records import ScoreEstimate, TrialRecord
from automl.run.estimate import nested_score, validation_fold
from automl.trials.evaluation import TrialData, first_plan, subsample
from automl.trials.outcomes import TrialStopped
from automl.trials.worker import TrialWorker

logger = logging.getLogger(__name__)

EXPONENT = 0.5      # c of the power-law curve (the n^-1/2 rate of a statistical estimate)
CURVE_FOLDS = 2     # folds the step is measured on: as good as all five (benchmarks/learning_curve.py)
HALF = 0.5          # the smaller size: this share of each fold's training rows (with groups, whole groups near it)
MAX_HALF = 0.8      # no step where the smaller fits held this share of the rows or more (a few large groups)
SAFETY = 1.5        # the step's fits are planned this much longer than their share of the trials' time
SUFFIX = ", stepped to all rows"


def step_ratio(kept: float, exponent: float = EXPONENT, half: float = HALF) -> float:
    """R: the step from the folds' share ``kept`` of the rows to all of them, per step from ``half`` that share.

    >>> round(step_ratio(0.8), 3)
    0.255
    """
    return (kept ** -exponent - 1.0) / ((kept * half) ** -exponent - kept ** -exponent)


def curve_folds(folds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[int, ...] | None:
    """The folds the step is measured on (the first ones, or a holdout's one); None for folds in time order
    (each validating rows after all it fits), where the curve is over time as much as over rows."""
    plan = first_plan(folds) if folds else 0
    if plan == 0 or all(len(train) and len(valid) and train.max() < valid.min() for train, valid in folds[:plan]):
        return None
    return tuple(range(min(CURVE_FOLDS, plan)))


def curve_share(folds: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The step's seconds per second of a member's trial (fit and predict), as planned: its share of the
    folds at half size (and at full size too when the folds repeat: the kept predictions then average
    several fold models), with a margin; 0 where there is no step.

    >>> round(curve_share([(np.arange(10) % 5 != k, np.flatnonzero(np.arange(10) % 5 == k)) for k in range(5)]), 2)
    0.3
    """
    only = curve_folds(folds)
    if only is None:
        return 0.0
    repeated = first_plan(folds) < len(folds)
    return SAFETY * len(only) / len(folds) * (HALF + (1.0 if repeated else 0.0))


def step_to_all_rows(worker: TrialWorker, to_steps: Callable[[dict], dict], members: dict[int, float],
                     trials: dict[int, TrialRecord], predictions: dict[int, np.ndarray], data: TrialData, *,
                     threshold: float | None = None, end: float | None = None) -> float | None:
    """The step of the final model's score (``members``' weights over ``trials``) from the folds' size to
    all rows, measured on the curve folds in the ``worker``; None when it cannot be (see the module)."""
    only = curve_folds(data.folds)
    if only is None or threshold is not None or not members \
            or any(trials[i].fraction < 1.0 or i not in predictions for i in members):
        return None
    # the share the smaller fits will hold, drawn as they will be (each class's rows rounded up, or whole groups)
    labels = None if data.task == "regression" else data.y
    half = float(np.mean([len(subsample(data.folds[k][0], HALF, data.seed, labels, data.groups)) / len(data.folds[k][0])
                          for k in only]))
    if half >= MAX_HALF:
        logger.info("No step to all rows: the smaller fits will hold %.0f%% of the folds' rows.", 100 * half)
        return None
    repeated, share = first_plan(data.folds) < len(data.folds), curve_share(data.folds)
    fold = validation_fold(data.folds, len(data.y))
    rows = np.isin(fold, only)
    at_size: dict[float, list[np.ndarray]] = {1.0: [], HALF: []}
    for trial_id in members:
        trial = trials[trial_id]
        planned = share * (trial.fit_seconds + trial.predict_seconds) \
            + (0.0 if worker.alive else worker.startup_s)
        left = None if end is None else end - time.monotonic()
        if left is not None and planned > left:
            logger.info("No step to all rows: trial %d's fits would take about %.1f s, %.1f s are left.",
                        trial_id, planned, left)
            return None
        try:
            at_size[HALF].append(_evaluated(worker, to_steps(trial.config), HALF, only, end)[rows])
            at_size[1.0].append(_evaluated(worker, to_steps(trial.config), 1.0, only, end)[rows]
                                if repeated else np.asarray(predictions[trial_id])[rows])
        except TrialStopped as stopped:
            logger.info("No step to all rows: %s", stopped)
            return None
    weights = list(members.values())
    try:
        scores = {size: _score(data, sum(w * p.astype(np.float64) for w, p in zip(weights, parts)), rows, fold[rows])
                  for size, parts in at_size.items()}
    except ValueError:  # a metric undefined on these rows
        return None
    kept = float(np.mean([len(data.folds[k][0]) for k in only])) / len(data.y)
    step = step_ratio(kept, half=half) * (scores[1.0] - scores[HALF])
    logger.info("Final model on %d rows of %d fold(s): %s %.4f fit on their folds' rows, %.4f on half of them; "
                "step to all rows %+.4f.", rows.sum(), len(only), data.metric.name, scores[1.0], scores[HALF], step)
    return step if np.isfinite(step) else None


def stepped(estimate: ScoreEstimate, step: float, metric: Metric) -> ScoreEstimate:
    """The estimate moved by the ``step``, never past the metric's optimum (unless it was past it already: a
    scorer's nominal optimum need not bound it), its method saying so."""
    value = estimate.value + step
    if metric.greater_is_better and estimate.value <= metric.optimum:
        value = min(value, metric.optimum)
    elif not metric.greater_is_better and estimate.value >= metric.optimum:
        value = max(value, metric.optimum)
    return ScoreEstimate(estimate.metric, float(value), estimate.method + SUFFIX, estimate.rows,
                         float(value - estimate.value))


def _evaluated(worker: TrialWorker, steps: dict, fraction: float, only: tuple[int, ...], end: float | None) -> np.ndarray:
    """The out-of-fold predictions of one configuration on the ``only`` folds, fit on ``fraction`` of their rows."""
    left = None if end is None else max(end - time.monotonic(), 0.0)
    outcome = worker.run("evaluate", (steps, False, fraction, None, only), left)
    if outcome.predictions is None:
        raise TrialStopped(outcome.status, outcome.error or "no predictions")
    return outcome.predictions


def _score(data: TrialData, combined: np.ndarray, rows: np.ndarray, groups: np.ndarray) -> float:
    """The run's metric of the combined predictions on ``rows`` (per fold for a metric of ranks)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nested_score(data.metric, data.y[rows], combined, groups, data.row_weights(rows))
