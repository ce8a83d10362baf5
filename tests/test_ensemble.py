"""Caruana ensemble selection: the greedy choice, and an ensemble fitted, predicting and saved."""

import numpy as np
import pandas as pd
import pytest

from automl import AutoClassifier, AutoRegressor, load_model, save_model
from automl.ensemble import select_weights
from automl.metrics import get_metric


def test_selection_mixes_complementary_trials_and_starts_from_the_best():
    y = np.array([0, 0, 1, 1] * 25, dtype=float)
    truth = y.copy()
    errors_a = np.where(np.arange(100) % 2 == 0, 1.0, -1.0) * 0.5  # each half wrong where the other is right
    predictions = {0: truth + errors_a, 1: truth - errors_a, 2: truth + 2.0}
    rmse = get_metric("rmse", "regression")
    assert select_weights(predictions, [0, 1, 2], y, rmse, rounds=1) == {0: 1.0}
    weights = select_weights(predictions, [0, 1, 2], y, rmse, rounds=10)
    assert weights == {0: 0.5, 1: 0.5}  # their average is exact; the bad trial is never picked


def test_a_trial_joins_only_while_the_ensemble_predicts_within_the_cost_cap():
    y = np.array([0, 0, 1, 1] * 25, dtype=float)
    errors = np.where(np.arange(100) % 2 == 0, 1.0, -1.0) * 0.5
    predictions = {0: y + errors, 1: y - errors, 2: y - 1.2 * errors}  # 1 completes 0 best; 2 nearly as well
    rmse = get_metric("rmse", "regression")
    slow_best_partner = {0: 1.0, 1: 5.0, 2: 1.5}  # seconds to predict the validation rows
    assert select_weights(predictions, [0, 1, 2], y, rmse, rounds=10) == {0: 0.5, 1: 0.5}
    capped = select_weights(predictions, [0, 1, 2], y, rmse, rounds=10, costs=slow_best_partner)
    assert set(capped) == {0, 2}  # 0 + 1 would cost 6x the first member; 0 + 2 costs 2.5x
    assert select_weights(predictions, [0, 1, 2], y, rmse, rounds=10, costs=slow_best_partner, cost_ratio=2.0) == {0: 1.0}
    # a floor under the cap: members whose predictions cost little in all are admitted whatever the ratio
    assert select_weights(predictions, [0, 1, 2], y, rmse, rounds=10, costs=slow_best_partner, cost_floor=6.0) == {0: 0.5, 1: 0.5}


def test_selection_uses_only_rows_every_trial_predicted_and_stops_at_the_deadline():
    y = np.array([0, 1] * 10)
    proba = np.tile([[0.2, 0.8], [0.8, 0.2]], (10, 1))  # always wrong
    good = np.eye(2)[y].astype(np.float32)
    good[:4] = np.nan  # not validated there (a holdout)
    log_loss = get_metric("log_loss", "binary")
    assert select_weights({3: proba, 7: good}, [7, 3], y, log_loss, rounds=5) == {7: 1.0}
    assert select_weights({3: proba, 7: good}, [7, 3], y, log_loss, rounds=50, deadline=0.0) == {7: 1.0}


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_an_ensemble_is_fitted_predicts_and_saves(task, tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150), "c": rng.choice(["x", "y"], 150)})
    signal = X["a"] + np.sin(3 * X["b"]) + (X["c"] == "x")
    families = ("logistic_regression", "ridge", "k_nearest_neighbors", "lightgbm")
    if task == "binary":
        model = AutoClassifier(time_budget=None, max_trials=8, include=families, ensemble_size=20)
        model.fit(X, np.where(signal > 0.5, "p", "n"))
    else:
        model = AutoRegressor(time_budget=None, max_trials=8, include=families, ensemble_size=20)
        model.fit(X, signal + rng.normal(scale=0.1, size=150))
    weights = model.ensemble_weights_
    assert abs(sum(weights.values()) - 1) < 1e-9 and all(w > 0 for w in weights.values())
    if task == "binary":  # on this data the selection mixes several families
        assert len(weights) >= 2 and type(model.best_pipeline_).__name__ == "WeightedEnsemble"
    board = model.leaderboard_.set_index("trial_id")
    assert np.isclose(board["ensemble_weight"].sum(), 1, atol=1e-3)
    predicted = model.predict_proba(X) if task == "binary" else model.predict(X)
    assert predicted.shape == ((150, 2) if task == "binary" else (150,)) and np.all(np.isfinite(predicted))
    path = save_model(model, tmp_path / "m.skops")
    again = load_model(path)
    np.testing.assert_allclose(again.predict_proba(X) if task == "binary" else again.predict(X), predicted)


def test_ensemble_size_zero_is_the_single_best():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    model = AutoClassifier(time_budget=None, max_trials=2, include=("logistic_regression",), ensemble_size=0)
    model.fit(X, (X["a"] > 0).astype(int))
    assert model.ensemble_weights_ == {model.leaderboard_["trial_id"].iloc[0]: 1.0}


def test_leaderboard_shows_each_family_s_key_hyperparameters():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    model = AutoRegressor(time_budget=None, max_trials=2, include=("lightgbm", "ridge"), ensemble_size=0)
    model.fit(X, X["a"] * 2)
    keys = {row.model: set(row.key_hyperparameters) for row in model.leaderboard_.itertuples()}
    assert keys == {"lightgbm": {"n_estimators", "learning_rate", "num_leaves"}, "ridge": {"alpha"}}
    assert len(model.leaderboard_.set_index("model").loc["lightgbm", "hyperparameters"]) > 3


def test_a_trial_no_better_than_a_constant_is_never_given_ensemble_weight():
    """A deliberately weak family (tests.helpers.WeightedPriorClassifier predicts the class shares) runs
    next to an over-confident one; with log loss, averaging the constant in softens the other's mistakes
    on the validation rows (Caruana alone gives it weight: the next test), yet it gets none."""
    from automl import AutoClassifier
    from tests.conftest import COMPONENTS

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = np.where(X["a"] + rng.normal(scale=0.3, size=300) > 0, "up", "down")
    model = AutoClassifier(time_budget=None, max_trials=2, seed=0, metric="log_loss", ensemble_size=30,
                           search_space_dir=str(COMPONENTS / "prior"), warm_start="none",
                           include=("prior_model", "overconfident_model")).fit(X, y)
    weak = [t.trial_id for t in model.trials_ if t.config["model"] == "prior_model"]
    assert weak and all(t.ok for t in model.trials_)
    assert not set(weak) & set(model.ensemble_weights_)
    assert all(m.model != "prior_model" for m in model.final_model_.members)


def test_selection_alone_would_average_in_a_constant_that_the_candidates_leave_out():
    """Why the admission rule exists: next to an over-confident model, Caruana's selection buys log loss
    by mixing in the class shares; the candidates (automl.run.final.beats_constant) exclude it first."""
    from automl.run.final import beats_constant
    from tests.helpers import make_record

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    right = rng.random(400) < 0.93
    sure = np.where(right, y, 1 - y)
    confident = np.column_stack([np.where(sure == 0, 0.99, 0.01), np.where(sure == 1, 0.99, 0.01)])
    constant = np.full((400, 2), np.bincount(y) / 400)
    log_loss = get_metric("log_loss", "binary")
    predictions = {0: confident, 1: constant}
    assert 1 in select_weights(predictions, [0, 1], y, log_loss, rounds=30)  # the constant gets weight
    trials = [make_record(0, {"model": "lightgbm"}, "design", log_loss.loss(y, confident)),
              make_record(1, {"model": "prior"}, "design", log_loss.loss(y, constant))]
    candidates = beats_constant(trials, predictions, log_loss.loss(y, constant))
    assert list(candidates) == [0] and select_weights(candidates, [0], y, log_loss, rounds=30) == {0: 1.0}
