"""Ensemble selection (Caruana et al., 2004): greedy forward selection with replacement.

Starting from an empty ensemble, each round adds the trial whose out-of-fold predictions,
averaged with the ensemble's so far, give the lowest loss of the run's metric; a trial may be
added again (that is its weight). Selecting on out-of-fold predictions means the ensemble is
chosen on the same validation data as every trial, never on the rows it was fit on.

With the trials' prediction costs, a trial joins only while the members' summed cost stays within
``PREDICT_COST_RATIO`` times the first member's: the ensemble predicts at most that much slower than
the best single model (measured in benchmarks/selection_methods.py, README "Ensemble").
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from automl.metrics import Metric
from automl.trials.evaluation import predict

PREDICT_COST_RATIO = 3.0


def select_weights(predictions: dict[int, np.ndarray], ranked: list[int], y: np.ndarray, metric: Metric,
                   rounds: int = 50, deadline: float | None = None, costs: dict[int, float] | None = None,
                   cost_ratio: float = PREDICT_COST_RATIO, sample_weight: np.ndarray | None = None,
                   cost_floor: float = 0.0) -> dict[int, float]:
    """Weights (summing to 1) of the trials in ``ranked`` (best single loss first) after ``rounds`` rounds.

    Only rows that every candidate predicted are used (a holdout validates a third of the rows).
    Ties go to the better-ranked trial, so one round returns the best single trial. Rounds stop
    early at the (monotonic) ``deadline``, keeping those done. With ``costs`` (a trial's seconds to
    predict its validation rows), a trial not yet chosen is a candidate only while the chosen ones'
    costs and its own sum to at most ``cost_ratio`` times the first chosen one's, or to ``cost_floor``
    seconds, whichever is more. ``sample_weight``
    weights each row's part in the loss.
    """
    candidates = [i for i in ranked if i in predictions]
    if not candidates or rounds < 1:
        return {}
    stack = np.stack([np.asarray(predictions[i], dtype=np.float64) for i in candidates])
    rows = np.isfinite(stack.reshape(len(candidates), len(y), -1)).all(axis=(0, 2))
    stack, y = stack[:, rows], y[rows]
    weights = None if sample_weight is None else np.asarray(sample_weight)[rows]
    total = np.zeros_like(stack[0])
    counts = np.zeros(len(candidates), dtype=int)
    cost = np.array([max((costs or {}).get(i, 0.0), 0.0) for i in candidates])
    cap = np.inf
    for size in range(1, rounds + 1):
        if deadline is not None and size > 1 and time.monotonic() > deadline:
            break
        allowed = (counts > 0) | (cost[counts > 0].sum() + cost <= cap)
        with warnings.catch_warnings():  # e.g. "y_prob values do not sum to one" from float32 rounding
            warnings.simplefilter("ignore")
            losses = [metric.loss(y, (total + member) / size, weights) if ok else np.inf for member, ok in zip(stack, allowed)]
        pick = int(np.argmin(losses))
        if size == 1 and costs is not None:
            cap = max(cost_ratio * cost[pick], cost_floor)
        counts[pick] += 1
        total += stack[pick]
    return {candidates[k]: float(counts[k] / counts.sum()) for k in np.flatnonzero(counts)}


class WeightedEnsemble:
    """Fitted pipelines and their weights: predicts the weighted average of their predictions.

    ``n_classes`` is None for regression; classifiers were fit on class codes 0..n_classes-1.
    """

    def __init__(self, members: list, weights: list[float], n_classes: int | None):
        self.members = members
        self.weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
        self.n_classes = n_classes
        if n_classes is not None:
            self.classes_ = np.arange(n_classes)

    def _average(self, X) -> np.ndarray:
        return sum(w * predict(member, X, self.n_classes) for member, w in zip(self.members, self.weights))

    def predict_proba(self, X) -> np.ndarray:
        return self._average(X)

    def predict(self, X) -> np.ndarray:
        values = self._average(X)
        return values if self.n_classes is None else values.argmax(axis=1)

