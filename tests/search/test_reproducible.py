import numpy as np
import pandas as pd

from automl import AutoClassifier, AutoRegressor


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["u", "v"], size=n)})
    y = (X["a"] + (X["c"] == "u") > 0.5).astype(int)
    return X, y


def test_same_seed_and_trial_budget_give_the_same_run():
    X, y = _data()
    runs = [AutoClassifier(time_budget=None, max_trials=10, seed=3, warm_start="none", ensemble_size=0,  # SMAC soon
                           include=("lightgbm", "logistic_regression", "k_nearest_neighbors")).fit(X, y)
            for _ in range(2)]
    first, second = ([t.config for t in r.trials_] for r in runs)
    assert first == second
    pd.testing.assert_frame_equal(runs[0].leaderboard_, runs[1].leaderboard_.assign(fit_seconds=runs[0].leaderboard_["fit_seconds"]))
    np.testing.assert_array_equal(runs[0].predict_proba(X), runs[1].predict_proba(X))
    assert runs[0].n_trials_ == 10
    origins = [t.origin for t in runs[0].trials_]
    assert origins[0] == "initial design" and "smac" in origins  # SMBO proposes after the defaults


def test_random_search_explores_the_same_space():
    X, y = _data()
    model = AutoClassifier(time_budget=None, max_trials=6, search="random", warm_start="none",
                           include=("lightgbm", "mlp")).fit(X, y)
    origins = [t.origin for t in model.trials_]
    assert origins[:2] == ["initial design"] * 2 and origins[2:] == ["random"] * 4
    assert len({str(t.config) for t in model.trials_}) == 6


def test_optimizer_time_is_measured():
    X, y = _data()
    model = AutoRegressor(time_budget=None, max_trials=8, include=("ridge", "lightgbm")).fit(X, X["a"] * 2)
    assert 0 < model.optimizer_seconds_ < model.search_seconds_
    assert 0 < model.optimizer_share_ < 1
