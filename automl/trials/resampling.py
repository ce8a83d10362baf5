"""How a trial validates: the resampling rule and the fold plan every trial of a run shares.

The rule (also in the README): k-fold cross-validation while the data is small enough for k fits
to be cheap, a single holdout split otherwise.

* ``holdout`` (67 % train / 33 % validation) when rows > 50,000 or when
  rows x columns / budget-seconds > 50,000 cells per second (the search would see too few trials);
* otherwise ``cv`` with 5 folds, or 3 folds above 10,000 rows;
* then, given a typical trial's predicted seconds, fewer folds or a holdout while the folds would
  leave fewer than MIN_TRIALS trials in the search's share of the budget (wide tables, many
  classes): the reason is kept with the choice and shown.

Folds are stratified for classification. The user can force either with ``resampling=``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

HOLDOUT_ROWS = 50_000
HOLDOUT_CELLS_PER_SECOND = 50_000
HOLDOUT_FRACTION = 0.33
MIN_TRIALS = 15      # fewer folds or a holdout when the folds would leave fewer trials than this ...
SEARCH_SHARE = 0.75  # ... in this share of the budget (the rest is about what the final model keeps back)


@dataclass(frozen=True)
class Resampling:
    """How a trial validates: ``cv`` with n_splits folds, or one ``holdout`` split."""

    kind: str
    n_splits: int = 5
    reason: str = ""  # why the rule chose fewer folds than the table's size alone would

    def describe(self) -> str:
        if self.kind == "cv":
            return f"{self.n_splits}-fold cross-validation" + (f" ({self.reason})" if self.reason else "")
        return f"holdout ({HOLDOUT_FRACTION:.0%} validation{'; ' + self.reason if self.reason else ''})"

    def fit_rows(self, n_rows: int) -> int:
        """Rows a trial fits, over all its folds."""
        return (self.n_splits - 1) * n_rows if self.kind == "cv" else round((1 - HOLDOUT_FRACTION) * n_rows)


def choose_resampling(n_rows: int, n_columns: int, time_budget: float | None, forced: str | None = None,
                      trial_seconds: Callable[[int], float | None] | None = None) -> Resampling:
    """Apply the documented rule; ``forced`` ("cv" or "holdout") overrides it. ``trial_seconds(fit_rows)``
    predicts a typical trial's seconds when it fits that many rows over all its folds.

    >>> choose_resampling(1_000, 10, 60).kind, choose_resampling(200_000, 10, 60).kind
    ('cv', 'holdout')
    >>> choose_resampling(1_000, 10, 60, trial_seconds=lambda rows: rows / 1_000).describe()
    '3-fold cross-validation (5 folds would leave about 11 trials in the budget)'
    """
    folds = 3 if n_rows > 10_000 else 5
    if forced == "cv":
        return Resampling("cv", folds)
    if forced == "holdout":
        return Resampling("holdout", 1)
    too_many_cells = time_budget is not None and n_rows * n_columns / max(time_budget, 1.0) > HOLDOUT_CELLS_PER_SECOND
    if n_rows > HOLDOUT_ROWS or too_many_cells:
        return Resampling("holdout", 1)
    chosen = Resampling("cv", folds)
    if time_budget is None or trial_seconds is None:
        return chosen
    for cheaper in (Resampling("cv", 3), Resampling("holdout", 1)):
        if cheaper.fit_rows(n_rows) >= chosen.fit_rows(n_rows):
            continue
        seconds = trial_seconds(chosen.fit_rows(n_rows))
        trials = SEARCH_SHARE * time_budget / max(seconds or 0.0, 1e-9)
        if seconds is None or trials >= MIN_TRIALS:
            break
        what = f"{chosen.n_splits} folds" if chosen.kind == "cv" else "a holdout"
        chosen = Resampling(cheaper.kind, cheaper.n_splits, f"{what} would leave about {trials:.0f} trials in the budget")
    return chosen


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
