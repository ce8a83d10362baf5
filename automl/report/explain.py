"""Which columns a saved model relies on: permutation importance on held-out rows (``automl explain``,
and the report's feature-importance figure)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from automl.errors import InputError
from automl.metrics import recorded_metric
from automl.run.threshold import at_threshold
from automl.trials.permutation import permutation_importance

logger = logging.getLogger(__name__)


def held_out_importance(model, X: pd.DataFrame, y, *, n_repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per column of ``X``: the growth of the model's metric's loss when the column is shuffled (``importance``,
    mean over ``n_repeats``) and its ``std``, largest first. ``model`` is a fitted AutoClassifier/AutoRegressor
    or a ``SavedModel``; honest only on rows it was not fit on. Rows of a class it never saw are left out. A
    label metric scores the labels ``predict`` gives (at a tuned decision threshold); rows count alike."""
    metric = recorded_metric(model.metric_, model.task_)
    y = np.asarray(y)
    if model.task_ == "regression":
        predict, truth = model.predict, pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype=float)
        known = np.isfinite(truth)
    else:
        predict, known = model.predict_proba, np.isin(y, model.classes_)
        truth = np.searchsorted(model.classes_, y)
        threshold = getattr(model, "decision_threshold_", getattr(model, "threshold", None))
        if threshold is not None and metric.scores_labels:  # the labels predict gives, at the tuned threshold
            predict = lambda rows: at_threshold(model.predict_proba(rows), threshold)  # noqa: E731
    if not known.all():
        logger.warning("Left out %d rows whose target the model cannot score (missing, or a class it never saw).",
                       int((~known).sum()))
    if known.sum() < 2:
        raise InputError("Fewer than two rows of the data have a target the model can score.")
    rows = X.loc[known].reset_index(drop=True)
    return permutation_importance([(predict, rows)], truth[known], metric, n_repeats=n_repeats, seed=seed)
