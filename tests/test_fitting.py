"""Large tables (multi-fidelity search, memory estimates, float32, lean predictions) and a cheap optimizer loop."""


import numpy as np
import pandas as pd
import pytest

from automl import AutoClassifier
from automl.errors import InputError


def test_multi_fidelity_fit_records_fractions_and_predicts():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X["a"] > 0).astype(int)
    model = AutoClassifier(time_budget=None, max_trials=13, multi_fidelity=True, warm_start="none", ensemble_size=0,
                           include=("logistic_regression", "lightgbm")).fit(X, y)
    fractions = sorted({round(t.fraction, 3) for t in model.trials_})
    assert fractions == [0.111, 0.333, 1.0]
    assert model.predict(X).shape == (300,)
    assert (model.predict(X) == y).mean() > 0.9


def test_multi_fidelity_is_off_for_small_tables_and_checked():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    y = (X["a"] > 0).astype(int)
    model = AutoClassifier(time_budget=None, max_trials=2, warm_start="none", include=("logistic_regression",)).fit(X, y)
    assert {t.fraction for t in model.trials_} == {1.0}
    with pytest.raises(InputError, match="multi_fidelity must be 'auto', True or False"):
        AutoClassifier(multi_fidelity="yes").fit(X, y)
    with pytest.raises(InputError, match="needs search='smac'"):
        AutoClassifier(multi_fidelity=True, search="random").fit(X, y)
