"""``feature_importances_``: permutation importance of the best trial's fold models, out of fold.

Each fold model predicts only its own validation rows, so no row is scored by a model that was fit
on it; the final model (refit on every row, perhaps an ensemble) cannot be checked that way. The
fit keeps a sample of the validated rows; the importances are computed on first use, from the
fold models kept in the run directory (``keep_models`` >= 1), so they cost the fit's budget nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from automl.errors import InputError
from automl.files import load_fitted
from automl.metrics import Metric
from automl.trials.evaluation import TrialData, first_plan, predict
from automl.trials.permutation import permutation_importance

MAX_ROWS = 2_000  # validated rows kept for the importances (a sample beyond)
REPEATS = 5


@dataclass(frozen=True)
class OutOfFoldRows:
    """A sample of the validated rows with the fold that validated each, and where the fold models are."""

    X: pd.DataFrame
    y: np.ndarray
    weights: np.ndarray | None
    fold: np.ndarray          # index into the trial's folds, per row
    models_file: Path
    trial_id: int
    n_classes: int | None     # None for regression


def keep_out_of_fold_rows(data: TrialData, models_file: Path, trial_id: int) -> OutOfFoldRows:
    """At most MAX_ROWS validated rows (a fixed random sample), each with its fold (of repeated folds, the
    first repeat's, whose models are kept)."""
    fold = np.full(len(data.y), -1)
    for k, (_, valid) in enumerate(data.folds[:first_plan(data.folds)]):
        fold[valid] = k
    rows = np.flatnonzero(fold >= 0)
    if len(rows) > MAX_ROWS:
        rows = np.sort(np.random.default_rng(data.seed).choice(rows, MAX_ROWS, replace=False))
    return OutOfFoldRows(data.X.iloc[rows].reset_index(drop=True), data.y[rows],
                         None if data.weights is None else data.weights[rows], fold[rows], models_file, trial_id,
                         None if data.task == "regression" else data.n_classes)


def out_of_fold_importance(rows: OutOfFoldRows, metric: Metric, columns: list[str], seed: int = 0) -> pd.Series:
    """Each input column's permutation importance (growth of the metric's loss), largest first; columns
    the pipelines never read (identifiers, constants) are 0."""
    if not rows.models_file.is_file():
        raise InputError(f"The fold models of trial {rows.trial_id} are gone from {rows.models_file.parent}; "
                         "automl explain MODEL DATA computes importances on held-out rows instead.")
    fold_models = load_fitted(rows.models_file, "trial's fold models")
    order = np.argsort(rows.fold, kind="stable")
    parts = []
    for k, (pipeline, codes) in enumerate(fold_models):
        mine = rows.fold[order] == k
        if mine.any():
            parts.append((lambda X, p=pipeline, c=codes: predict(p, X, rows.n_classes, c), rows.X.iloc[order[mine]]))
    weights = None if rows.weights is None else rows.weights[order]
    table = permutation_importance(parts, rows.y[order], metric, weights=weights, n_repeats=REPEATS, seed=seed)
    return table["importance"].reindex(columns, fill_value=0.0).sort_values(ascending=False, kind="stable")
