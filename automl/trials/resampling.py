"""How a trial validates: the resampling rule and the fold plan every trial of a run shares.

The rule (also in the README): k-fold cross-validation while the data is small enough for k fits
to be cheap, a single holdout split otherwise.

* ``holdout`` (67 % train / 33 % validation) when rows > 50,000 or when
  rows x columns / budget-seconds > 50,000 cells per second (the search would see too few trials);
* otherwise ``cv`` with 5 folds, or 3 folds above 10,000 rows;
* then, given a typical trial's predicted seconds, fewer folds or a holdout while the folds would
  leave fewer than MIN_TRIALS trials in the search's share of the budget (wide tables, many
  classes): the reason is kept with the choice and shown; a holdout of fewer than
  MIN_HOLDOUT_VALIDATION rows only when 3 folds would leave fewer than FEW_TRIALS;
* on a small table (at most REPEAT_ROWS rows) whose trials are cheap, the k folds are repeated on
  other shuffles (2 or 3 times, while at least REPEATED_MIN_TRIALS trials still fit): each row's
  out-of-fold prediction is the mean of its repeats, so the validation noise that decides the best
  trial and the ensemble weights shrinks where it is largest (benchmarks/results/repeated-cv-60s).

Folds are stratified for classification. The user can force either with ``resampling=``, give
the number of folds (``cv=5``) or a scikit-learn splitter of their own (``cv=GroupKFold(3)``); with
``groups`` no group is ever on both sides of a split (StratifiedGroupKFold, GroupKFold, a grouped
holdout); with ``cv="time"`` the rows are in time order and every split validates on rows later
than those it fits (TimeSeriesSplit, or the last third as the holdout).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from automl.errors import InputError

HOLDOUT_ROWS = 50_000
HOLDOUT_CELLS_PER_SECOND = 50_000
HOLDOUT_FRACTION = 0.33
MIN_TRIALS = 15      # fewer folds or a holdout when the folds would leave fewer trials than this ...
MIN_HOLDOUT_VALIDATION = 500  # ... but a holdout only where it validates on at least this many rows (on 252 rows a
# 63-row holdout chose a random forest, 0.757 test AUC, where logistic regression's defaults scored 0.858; 3 folds
# instead: better on 5 of 9 runs below 1,500 rows, worse on 3 of 6 above, benchmarks/results/holdout-floor-60s)
FEW_TRIALS = 5       # ... unless the folds leave fewer trials than this: the search itself is then the larger loss (a
# 1,500 x 500, 8-class table at 90 s: with 3 folds 7 trials ran, 0.53 to 0.56 test log loss against LightGBM's
# defaults' 0.569; with a holdout of 495 rows 12 ran, 0.48 and 0.49)
SEARCH_SHARE = 0.75  # ... in this share of the budget (the rest is about what the final model keeps back)
REPEAT_ROWS = 5_000  # repeated k-fold on tables of at most this many rows ...
REPEATS = (3, 2)     # ... this many times (the most that leaves ...
REPEATED_MIN_TRIALS = 40  # ... this many trials in the search's share of the budget)
TRIAL_OVERHEAD_S = 0.3  # seconds a trial costs besides its fits (measured about 0.4 s between 0.1 s fits)


@dataclass(frozen=True)
class Resampling:
    """How a trial validates: ``cv`` with n_splits folds (``repeats`` times, on other shuffles), or one
    ``holdout`` split."""

    kind: str                  # "cv", "holdout", or "splitter" (the user's own)
    n_splits: int = 5
    reason: str = ""  # why the rule chose fewer folds than the table's size alone would
    time_ordered: bool = False  # every split validates on rows later than the ones it fits
    grouped: bool = False       # no group on both sides of a split
    splitter: str = ""          # the user's splitter, as its repr (a resumed run must bring the same)
    repeats: int = 1            # the k folds repeated on this many shuffles; each row's prediction is their mean

    def describe(self) -> str:
        how = [w for w, on in (("forward in time", self.time_ordered), ("by group", self.grouped)) if on]
        if self.kind == "splitter":
            count = f"{self.n_splits} splits" if self.n_splits else "its own number of splits"
            return f"your splitter {self.splitter} ({', '.join([count, *how])})"
        notes = how + ([self.reason] if self.reason else [])
        if self.kind == "cv":
            repeated = f", repeated {self.repeats} times" if self.repeats > 1 else ""
            return f"{self.n_splits}-fold cross-validation{repeated}" + (f" ({'; '.join(notes)})" if notes else "")
        first = f"{'the last ' if self.time_ordered else ''}{HOLDOUT_FRACTION:.0%} validation"
        return f"holdout ({'; '.join([first, *notes])})"

    def fit_rows(self, n_rows: int) -> int:
        """Rows a trial fits, over all its folds (about: a splitter's or time-ordered folds vary)."""
        if self.kind == "holdout":
            return round((1 - HOLDOUT_FRACTION) * n_rows)
        if self.time_ordered:  # fold i of k fits i / (k + 1) of the rows
            return round(n_rows * self.n_splits / 2)
        return (self.n_splits - 1) * n_rows * self.repeats

    def record(self) -> dict:
        """What the run directory keeps (``settings.json``'s validation): all but the reason."""
        fields = {"kind": self.kind, "n_splits": self.n_splits, "time_ordered": self.time_ordered,
                  "grouped": self.grouped, "splitter": self.splitter, "repeats": self.repeats}
        return {k: v for k, v in fields.items() if (v and (k != "repeats" or v > 1)) or k in ("kind", "n_splits")}


def choose_resampling(n_rows: int, n_columns: int, time_budget: float | None, forced: str | None = None,
                      trial_seconds: Callable[[int], float | None] | None = None) -> Resampling:
    """Apply the documented rule; ``forced`` ("cv" or "holdout") overrides it. ``trial_seconds(fit_rows)``
    predicts a typical trial's seconds when it fits that many rows over all its folds.

    >>> choose_resampling(1_000, 10, 60).kind, choose_resampling(200_000, 10, 60).kind
    ('cv', 'holdout')
    >>> choose_resampling(1_000, 10, 60, trial_seconds=lambda rows: rows / 1_000).describe()
    '3-fold cross-validation (5 folds would leave about 10 trials in the budget)'
    >>> choose_resampling(10_000, 10, 60, trial_seconds=lambda rows: rows / 1_000).describe()
    'holdout (33% validation; 3 folds would leave about 2 trials in the budget)'
    >>> choose_resampling(1_000, 10, 60, trial_seconds=lambda rows: rows / 400).describe()  # too few rows to hold out
    '3-fold cross-validation (5 folds would leave about 4 trials in the budget)'
    >>> choose_resampling(1_000, 10, 60, trial_seconds=lambda rows: rows / 100).describe()  # unless 3 folds starve the search
    'holdout (33% validation; 3 folds would leave about 2 trials in the budget)'
    >>> choose_resampling(1_000, 10, 60, trial_seconds=lambda rows: rows / 100_000).describe()
    '5-fold cross-validation, repeated 3 times (a small table: about 107 trials still fit)'
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
    if n_rows <= REPEAT_ROWS:
        for repeats in REPEATS:
            seconds = trial_seconds(chosen.fit_rows(n_rows) * repeats)
            trials = SEARCH_SHARE * time_budget / ((seconds or 0.0) + TRIAL_OVERHEAD_S)
            if seconds is not None and trials >= REPEATED_MIN_TRIALS:
                return Resampling("cv", folds, f"a small table: about {trials:.0f} trials still fit", repeats=repeats)
    for cheaper in (Resampling("cv", 3), Resampling("holdout", 1)):
        if cheaper.fit_rows(n_rows) >= chosen.fit_rows(n_rows):
            continue
        seconds = trial_seconds(chosen.fit_rows(n_rows))
        trials = SEARCH_SHARE * time_budget / ((seconds or 0.0) + TRIAL_OVERHEAD_S)
        if seconds is None or trials >= MIN_TRIALS:
            break
        if cheaper.kind == "holdout" and n_rows * HOLDOUT_FRACTION < MIN_HOLDOUT_VALIDATION and trials >= FEW_TRIALS:
            break  # too few rows to validate on: more trials would be chosen by noise
        what = f"{chosen.n_splits} folds" if chosen.kind == "cv" else "a holdout"
        chosen = Resampling(cheaper.kind, cheaper.n_splits, f"{what} would leave about {trials:.0f} trials in the budget")
    return chosen


def resampling_for(cv, resampling: str | None, grouped: bool) -> Resampling | None:
    """What ``cv`` fixes before the rule runs: k folds, the user's splitter, or None (the rule decides)."""
    if cv == "time" and grouped:
        raise InputError("Give groups or a time order (cv='time', --time-column), not both: forward-in-time splits "
                         "would put a group on both sides; a splitter of your own (cv=) can do both.")
    if cv is None or cv == "time":
        return None
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        return Resampling("cv", int(cv), grouped=grouped)
    try:
        n_splits = int(cv.get_n_splits())
    except (TypeError, ValueError):  # LeaveOneGroupOut and friends count their splits from the data
        n_splits = 0
    return Resampling("splitter", n_splits, grouped=grouped, splitter=repr(cv))


def check_cv(cv, resampling: str | None) -> None:
    """One sentence for a ``cv`` that is none of: None, "time", an int >= 2, a splitter."""
    if cv is None or cv == "time":
        return
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise InputError(f"cv must be at least 2 folds, got {cv}.")
    elif not (hasattr(cv, "split") and hasattr(cv, "get_n_splits")):
        raise InputError(f"cv must be a number of folds, 'time', or a scikit-learn splitter (with split and "
                         f"get_n_splits), got {cv!r}.")
    if resampling is not None:
        raise InputError(f"Give either cv or resampling={resampling!r}, not both.")


def make_folds(resampling: Resampling, y: np.ndarray, *, classification: bool, seed: int,
               groups: np.ndarray | None = None, splitter=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/validation index pairs, the same for every trial of a run: the user's ``splitter`` (for
    kind "splitter"), grouped by ``groups``, forward in time, or shuffled (stratified for classes);
    repeated k-fold gives each repeat's folds in turn, shuffled by seed, seed + 1, ..."""
    if resampling.repeats > 1 and resampling.kind == "cv" and not resampling.time_ordered:
        once = replace(resampling, repeats=1)
        return [fold for r in range(resampling.repeats)
                for fold in make_folds(once, y, classification=classification, seed=seed + r, groups=groups)]
    rows = np.arange(len(y))
    if resampling.kind == "splitter":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "groups is ignored by KFold": the check below says it in a sentence
                folds = list(splitter.split(rows.reshape(-1, 1), y, groups))
        except ValueError as problem:  # e.g. a group splitter without groups
            raise InputError(f"The splitter {splitter!r} could not split the rows: {str(problem).splitlines()[0]}") from None
        return _checked(folds, len(y), repr(splitter), groups)
    if resampling.time_ordered:
        if resampling.kind == "holdout":
            cut = round((1 - HOLDOUT_FRACTION) * len(y))
            return [(rows[:cut], rows[cut:])]
        return list(TimeSeriesSplit(max(2, min(resampling.n_splits, len(y) - 1))).split(rows))
    if groups is not None:
        return _grouped_folds(resampling, y, groups, classification, seed)
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


def _grouped_folds(resampling: Resampling, y: np.ndarray, groups: np.ndarray, classification: bool,
                   seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds (or a holdout) that keep each group on one side: stratified by class where it can be."""
    rows = np.arange(len(y))
    n_groups = len(np.unique(groups))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too few groups of a class to stratify: scikit-learn warns, we accept
        if resampling.kind == "holdout":
            if classification:  # one fold of three: about a third, stratified, whole groups
                splitter = StratifiedGroupKFold(min(3, n_groups), shuffle=True, random_state=seed)
                return [next(splitter.split(rows, y, groups))]
            return list(GroupShuffleSplit(1, test_size=HOLDOUT_FRACTION, random_state=seed).split(rows, y, groups))
        n_splits = max(2, min(resampling.n_splits, n_groups))
        splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed) if classification \
            else GroupKFold(n_splits, shuffle=True, random_state=seed)
        return list(splitter.split(rows, y, groups))


def _checked(folds: list, n_rows: int, name: str, groups: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The user's splits, as index arrays, or one sentence: automl keeps one out-of-fold prediction per
    row, so validation sets must not overlap; each side must hold rows; with groups, no group on both."""
    seen = np.zeros(n_rows, dtype=bool)
    checked = []
    for train, valid in folds:
        train, valid = np.asarray(train), np.asarray(valid)
        if train.dtype == bool:
            train, valid = np.flatnonzero(train), np.flatnonzero(valid)
        if not len(train) or not len(valid):
            raise InputError(f"The splitter {name} gave a split with no fitting or no validation rows.")
        if groups is not None and np.isin(groups[valid], groups[train]).any():
            raise InputError(f"The splitter {name} puts a group on both sides of a split; with groups, use a group "
                             "splitter (GroupKFold, StratifiedGroupKFold) or leave cv unset.")
        if seen[valid].any():
            raise InputError(f"The splitter {name} validates row {int(valid[seen[valid]][0])} twice; automl keeps one "
                             "out-of-fold prediction per row, so the validation sets must not overlap.")
        seen[valid] = True
        checked.append((train, valid))
    if not checked:
        raise InputError(f"The splitter {name} gave no split.")
    return checked
