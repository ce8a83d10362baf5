"""How a trial validates: the resampling rule and the fold plan every trial of a run shares.

The rule (also in the README): k-fold cross-validation while the data is small enough for k fits
to be cheap, a single holdout split otherwise.

* ``holdout`` (67 % train / 33 % validation) when rows > 50,000 or when
  rows x columns / budget-seconds > 50,000 cells per second (the search would see too few trials);
* otherwise ``cv`` with 5 folds, or 3 folds above 10,000 rows.

Folds are stratified for classification. The user can force either with ``resampling=``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

HOLDOUT_ROWS = 50_000
HOLDOUT_CELLS_PER_SECOND = 50_000
HOLDOUT_FRACTION = 0.33


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
