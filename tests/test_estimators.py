import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl import AutoClassifier, AutoRegressor
from automl.errors import InputError

CHEAP = dict(time_budget=None, max_trials=2, include=("logistic_regression", "ridge", "lightgbm"))


def test_classifier_on_mixed_frame_with_string_labels(mixed_frame):
    X, y = mixed_frame
    before = X.copy()
    model = AutoClassifier(**CHEAP).fit(X, y)
    pd.testing.assert_frame_equal(X, before)  # nothing the user passed is modified
    assert list(model.classes_) == ["no", "yes"]
    assert set(model.predict(X)) <= {"no", "yes"}
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert model.score(X, y) > 0.7
    assert isinstance(model.best_pipeline_, Pipeline)
    assert model.best_config_["model"] in ("logistic_regression", "lightgbm")
    board = model.leaderboard_
    assert list(board["rank"]) == [1, 2] and {"model", "roc_auc", "loss", "fit_seconds", "status"} <= set(board)
    assert model.metric_ == "roc_auc" and model.n_features_in_ == 3
    estimate = model.estimated_score_  # the saved model's honest estimate, named in its one-line summary
    assert estimate.metric == "roc_auc" and estimate.method == "nested out-of-fold, stepped to all rows" and 0.5 < estimate.value <= 1
    assert model.final_model_.estimate == estimate and model.final_model_.line().endswith(f"; estimated {estimate}")
    assert [m.trial_id for m in model.final_model_.members] == list(model.ensemble_weights_)


def test_multiclass_numpy_input_and_unseen_categories():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = np.repeat([0, 1, 2], 30)
    X[:, 0] += y
    model = AutoClassifier(**CHEAP).fit(X, y)
    assert model.metric_ == "log_loss" and model.predict_proba(X).shape == (90, 3)
    assert model.predict(X[:5]).dtype.kind == "i"
    cat = pd.DataFrame({"c": ["a", "b", "c"] * 20, "x": rng.normal(size=60)})
    fitted = AutoClassifier(**CHEAP).fit(cat, (cat["c"] == "a").astype(int))
    assert fitted.predict(pd.DataFrame({"c": ["never seen", None], "x": [0.0, 1.0]})).shape == (2,)


def test_regressor_and_metric_choice():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    y = 3 * X["a"] + rng.normal(scale=0.1, size=80)
    model = AutoRegressor(metric="mae", **CHEAP).fit(X, y)
    assert model.metric_ == "mae" and model.best_score_ < 1.0
    assert model.score(X, y) == pytest.approx(-np.mean(np.abs(model.predict(X) - y)))  # the fit's metric, negated
    with pytest.raises(InputError, match="'rmse' does not fit a binary task"):
        AutoClassifier(metric="rmse", **CHEAP).fit(X, (y > 0).astype(int))


def test_sklearn_tools_work():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=90), "b": rng.normal(size=90)})
    y = (X["a"] > 0).astype(int)
    model = AutoClassifier(seed=5, **CHEAP)
    assert clone(model).get_params() == model.get_params()
    assert model.get_params()["seed"] == 5
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8


@pytest.mark.parametrize("params, message", [
    (dict(time_budget=0), "time_budget must be a positive number"),
    (dict(time_budget=None, max_trials=None), "Give a time_budget, a max_trials, or both"),
    (dict(max_trials=0), "max_trials must be a positive integer"),
    (dict(search="grid"), "Unknown search 'grid'"),
    (dict(resampling="bootstrap"), "Unknown resampling 'bootstrap'"),
    (dict(include=("gaussian_process",)), "Unknown component 'gaussian_process' in include"),
])
def test_bad_parameters_are_one_sentence(params, message):
    X = pd.DataFrame({"a": np.random.default_rng(0).normal(size=20)})
    with pytest.raises(InputError, match=message):
        AutoClassifier(**{**CHEAP, **params}).fit(X, [0, 1] * 10)


def test_predict_names_missing_columns(mixed_frame):
    X, y = mixed_frame
    model = AutoClassifier(**CHEAP).fit(X, y)
    with pytest.raises(InputError, match="lacks 1 column.*'colour'"):
        model.predict(X.drop(columns=["colour"]))


@parametrize_with_checks(
    [AutoClassifier(time_budget=None, max_trials=1, include=("logistic_regression",)),
     AutoRegressor(time_budget=None, max_trials=1, include=("ridge",))],
    expected_failed_checks=lambda est: {
        "check_fit2d_1sample": "a one-row table is rejected with our own one-sentence error",
        "check_classifiers_regression_target": "a classifier accepts any distinct values as classes",
        "check_dtype_object": "object columns are treated as categorical, as users expect",
        "check_regressors_train": "score() is the fit's metric (RMSE negated by default), not R^2 above 0.5",
        "check_sample_weight_equivalence_on_dense_data": "weights are not repeated rows: the validation folds, the "
                                                          "scalers and the search differ between the two",
    },
)
def test_scikit_learn_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "f1", "f1_macro", "log_loss", "roc_auc"])
def test_every_classification_metric_runs_a_search(metric):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    model = AutoClassifier(metric=metric, time_budget=None, max_trials=1, include=("logistic_regression",))
    model.fit(X, (X["a"] > 0).astype(int))
    assert model.metric_ == metric and model.best_config_ is not None


def test_a_class_with_one_row_does_not_break_xgboost():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=61)})
    y = np.r_[np.zeros(30), np.ones(30), [2]].astype(int)
    model = AutoClassifier(time_budget=None, max_trials=1, include=("xgboost",)).fit(X, y)
    assert model.trials_[0].ok, model.trials_[0].error
    assert model.predict_proba(X).shape == (61, 3)


def test_array_fit_predicts_on_arrays_and_frames_and_infinity_is_missing(caplog):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    X[3, 1] = np.inf
    y = (X[:, 0] > 0).astype(int)
    model = AutoClassifier(**CHEAP).fit(X, y)
    assert not hasattr(model, "feature_names_in_") and model.n_features_in_ == 2
    assert "infinite value" in caplog.text
    np.testing.assert_array_equal(model.predict(X), model.predict(pd.DataFrame(X)))
    with pytest.raises(ValueError, match="X has 3 features, but AutoClassifier is expecting 2"):
        model.predict(np.zeros((2, 3)))


@pytest.mark.parametrize("X, y, message", [
    (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), [np.nan, np.nan, 1.0], "Need at least 2 rows"),
    (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), ["a", "b", "c"], "Every class has a single row"),
])
def test_too_little_data_is_one_sentence(X, y, message):
    with pytest.raises(InputError, match=message):
        (AutoRegressor if message.startswith("Need") else AutoClassifier)(**CHEAP).fit(X, y)


def test_include_as_a_plain_string_is_one_sentence():
    with pytest.raises(InputError, match="include must be a list of component names, not the string 'lightgbm'"):
        AutoClassifier(time_budget=None, max_trials=1, include="lightgbm").fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])


def test_pandas_category_and_bool_columns():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"size": pd.Categorical(rng.choice(["S", "M", "L"], size=60)),
                      "flag": rng.random(60) > 0.5, "x": rng.normal(size=60)})
    X.loc[::7, "size"] = np.nan
    y = pd.Series(pd.Categorical(np.where(X["x"] > 0, "up", "down")))
    model = AutoClassifier(**CHEAP).fit(X, y)
    assert model.schema_.categorical == ("size",) and set(model.schema_.numeric) == {"flag", "x"}
    assert set(model.predict(X)) <= {"up", "down"} and model.score(X, y) > 0.8
