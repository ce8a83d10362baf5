"""Which hyperparameters mattered in a run: fANOVA-style main effects of a random-forest surrogate.

A random forest is fitted on the run history (configuration -> validation loss), as SMAC's own
surrogate is. The main effect of one hyperparameter is how much the forest's prediction moves
when only that hyperparameter changes, averaged over the configurations the run actually tried:
f_j(v) = mean over tried configurations x of forest(x with x_j = v). Its importance is the
variance of f_j over the values tried, as a share of the variance of the forest's predictions
(a first-order Sobol index of the surrogate; Hutter, Hoos and Leyton-Brown's fANOVA computes
the same quantity over the forest's partition of the space instead of over tried points).
Shares need not sum to 1: the rest is interactions. An inactive hyperparameter (one of another
model family) is encoded as its own value, so a family's choice and its hyperparameters share
credit the way the space's conditions do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

MIN_TRIALS = 8       # fewer successful trials than this say nothing reliable
MAX_VALUES = 16      # values of one hyperparameter a main effect is evaluated at (quantiles beyond)
INACTIVE = -1.0      # the code of a hyperparameter its configuration does not use


def hyperparameter_importance(configs: list[dict], losses: list[float], seed: int = 0) -> pd.Series:
    """The share of the surrogate's variance each hyperparameter explains alone, largest first.

    Empty when there are fewer than ``MIN_TRIALS`` configurations or the losses do not vary.
    """
    if len(configs) < MIN_TRIALS or np.ptp(losses) == 0:
        return pd.Series(dtype=float)
    X = _encode(pd.DataFrame(configs))
    forest = RandomForestRegressor(n_estimators=100, min_samples_leaf=2, random_state=seed).fit(X, losses)
    total = np.var(forest.predict(X))
    if total == 0:
        return pd.Series(dtype=float)
    shares = {}
    for column in X.columns:
        values = np.unique(X[column])
        if len(values) > MAX_VALUES:
            values = np.unique(np.quantile(X[column], np.linspace(0, 1, MAX_VALUES)))
        if len(values) < 2:
            continue
        effects = []
        for value in values:
            changed = X.copy()
            changed[column] = value
            effects.append(forest.predict(changed).mean())
        shares[column] = float(np.var(effects) / total)
    return pd.Series(shares).sort_values(ascending=False)


def _encode(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers stay numbers (log scale where they span decades), choices become codes, inactive -1."""
    encoded = {}
    for column in frame.columns:
        values = frame[column]
        numeric = pd.to_numeric(values, errors="coerce")
        if values.notna().any() and numeric[values.notna()].notna().all() and values.map(type).ne(bool).all():
            positive = numeric[numeric.notna()]
            if (positive > 0).all() and positive.max() / positive.min() > 100:
                numeric = np.log10(numeric)
            encoded[column] = numeric.fillna(numeric.min() - 1 if numeric.notna().any() else INACTIVE)
        else:
            codes = {v: float(i) for i, v in enumerate(sorted(values.dropna().astype(str).unique()))}
            encoded[column] = values.map(lambda v, codes=codes: INACTIVE if pd.isna(v) else codes[str(v)])
    return pd.DataFrame(encoded, index=frame.index).astype(float)
