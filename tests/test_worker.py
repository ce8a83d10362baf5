"""A trial that hangs, kills its interpreter or raises is a failed trial; the search goes on."""

import time

import numpy as np
import pandas as pd
import pytest

from automl import AutoClassifier
from tests.conftest import COMPONENTS


def _data(n=60):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    return X, (X["a"] > 0).astype(int)


@pytest.mark.parametrize("mode, reason", [
    ("abort", "ProcessError: the trial's process died"),
    ("raise", "RuntimeError: misbehaving on purpose"),
])
def test_crashing_trials_fail_and_the_search_goes_on(mode, reason):
    X, y = _data()
    model = AutoClassifier(time_budget=None, max_trials=3, search_space_dir=str(COMPONENTS / mode),
                           include=(f"{mode}_model", "logistic_regression", "lightgbm")).fit(X, y)
    first = model.trials_[0]
    assert first.config["model"] == f"{mode}_model" and not first.ok and reason in first.error
    assert all(t.ok for t in model.trials_[1:])
    assert model.best_config_["model"] in ("logistic_regression", "lightgbm")
    assert model.leaderboard_["status"].iloc[-1] == "failed"


def test_a_hanging_trial_is_killed_and_the_budget_holds():
    X, y = _data()
    budget = 10
    started = time.monotonic()
    model = AutoClassifier(time_budget=budget, trial_time_limit=2, search_space_dir=str(COMPONENTS / "sleep"),
                           include=("sleep_model", "logistic_regression", "lightgbm")).fit(X, y)
    elapsed = time.monotonic() - started
    assert elapsed <= budget * 1.05 + 5
    first = model.trials_[0]
    assert first.config["model"] == "sleep_model" and "TimeoutError" in first.error
    assert model.best_config_ is not None and model.n_trials_ > 2
    assert model.predict(X).shape == (60,)
