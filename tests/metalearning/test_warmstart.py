"""Meta-features, the metabase, warm starts (portfolio, nearest datasets, the user's own runs)."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from automl import AutoClassifier
from automl.errors import InputError
from automl.metalearning.metabase import DatasetEntry
from automl.metalearning.metafeatures import NAMES
from automl.metalearning.warmstart import (
    greedy_portfolio,
    nearest_datasets,
    regret_matrix,
    warm_start_configs,
    warm_start_design,
)
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from tests.helpers import features, tiny_metabase

SHAPE = DataShape(n_rows=1000, fold_rows=800, n_features=10, n_classes=2)


def test_project_adapts_a_configuration_to_another_space():
    wide = build_space("binary", DataShape(5000, 4000, 20, 2), has_categorical=True)
    narrow = build_space("binary", DataShape(100, 80, 3, 2), has_categorical=False)
    config = wide.project({"model": "lightgbm", "encoder": "onehot", "lightgbm:num_leaves": 500,
                           "lightgbm:learning_rate": 0.05, "simple_imputer:strategy": "no-such-strategy"})
    assert config["encoder"] == "onehot" and config["lightgbm:num_leaves"] == 500
    assert config["simple_imputer:strategy"] == wide.configspace["simple_imputer:strategy"].default_value
    moved = narrow.project(config)
    assert "encoder" not in moved and not any(k.startswith("onehot:") for k in moved)
    assert moved["lightgbm:num_leaves"] == narrow.configspace["lightgbm:num_leaves"].upper == 40  # clipped
    assert moved["lightgbm:learning_rate"] == 0.05
    only_trees = build_space("binary", SHAPE, has_categorical=False, include=("random_forest",))
    assert only_trees.project(config) is None  # its family is not in that space
    assert narrow.project({**moved, "lightgbm:num_leaves": np.int64(7)})["lightgbm:num_leaves"] == 7


def test_project_takes_the_family_preprocessing_and_refuses_forbidden_combinations():
    space = build_space("binary", SHAPE, has_categorical=True)
    linear = space.project({"model": "logistic_regression"})
    assert linear["scaler"] == "standard" and linear["encoder"] == "onehot"  # its initial_design.with
    assert space.project({"model": "logistic_regression", "scaler": "no_scaling"})["scaler"] == "no_scaling"
    chi2 = {"model": "lightgbm", "preprocessor": "select_percentile", "select_percentile:score_func": "chi2"}
    assert space.project({**chi2, "scaler": "quantile"}) is not None
    assert space.project({**chi2, "scaler": "standard"}) is None  # chi2 needs non-negative features


def test_warm_configurations_come_first_labelled_and_without_repeats():
    space = build_space("binary", SHAPE, has_categorical=False)
    warm = [({"model": "extra_trees"}, "warm start: a"), ({"model": "extra_trees"}, "warm start: b"),
            ({"model": "no_such_family"}, "warm start: c")]
    design = space.design_with_origins((), warm)
    assert [origin for _, origin in design[:1]] == ["warm start: a + b"]  # both became the same configuration
    assert all(origin == "initial design" for _, origin in design[1:])
    assert len(design) == len({json.dumps(c, sort_keys=True) for c, _ in design})


def test_regret_is_normalised_per_dataset_and_failures_count_as_the_worst():
    entries = [DatasetEntry("a", "binary", "roc_auc", {}, [0.1, 0.3, None]),
               DatasetEntry("b", "binary", "rmse", {}, [50.0, 10.0, 30.0])]
    np.testing.assert_allclose(regret_matrix(entries), [[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])


def test_greedy_portfolio_prefers_complementary_configurations():
    regret = np.array([[0.0, 0.2, 1.0, 0.1],
                       [1.0, 0.2, 0.0, 0.1],
                       [1.0, 0.2, 0.0, 0.1]])
    assert greedy_portfolio(regret, 2) == [3, 2]  # the best on average, then what covers its weakness
    assert greedy_portfolio(regret, 10) == [3, 2, 0]  # stops once every dataset has regret 0


def test_nearest_datasets_by_scaled_metafeatures_and_task():
    entries = [DatasetEntry("far", "binary", "roc_auc", features(log_rows=12.0), [0.1]),
               DatasetEntry("near", "binary", "roc_auc", features(log_rows=5.1), [0.1]),
               DatasetEntry("near_multiclass", "multiclass", "log_loss", features(log_rows=5.0), [0.1]),
               DatasetEntry("far_in_much", "binary", "roc_auc", features(log_rows=12.0, missing_share=1.0,
                                                                          numeric_share=1.0), [0.1])]
    ranked = [e.name for e, _ in nearest_datasets(entries, features(log_rows=5.0), "binary", 4)]
    assert ranked == ["near", "far", "near_multiclass", "far_in_much"]  # another task costs two features' worth


def test_warm_start_modes():
    metabase = tiny_metabase()
    near_boosting = features(log_rows=4.1)
    portfolio = warm_start_configs("portfolio", "binary", near_boosting, metabase)
    assert [c["model"] for c, _ in portfolio] == ["lightgbm", "extra_trees"]
    assert portfolio[0][1] == "warm start: portfolio 1"
    knn = warm_start_configs("knn", "binary", near_boosting, metabase)
    assert [(c["model"], o) for c, o in knn] == [("lightgbm", "warm start: knn boosting"),
                                                  ("extra_trees", "warm start: knn trees")]
    both = warm_start_configs("both", "binary", near_boosting, metabase)
    assert [c["model"] for c, _ in both] == ["lightgbm", "extra_trees"]  # portfolio, then the nearest, once each
    mine = DatasetEntry("my run", "binary", "roc_auc", near_boosting, [0.3, 0.2], [{"model": "mlp"}, {"model": "xgboost"}])
    with_mine = warm_start_configs("both", "binary", near_boosting, metabase, [mine])
    assert [(c["model"], o) for c, o in with_mine[:3]] == [("xgboost", "warm start: knn my run"),
                                                            ("mlp", "warm start: knn my run"),
                                                            ("lightgbm", "warm start: portfolio 1")]
    assert warm_start_configs("portfolio", "binary", near_boosting, metabase, [mine]) == portfolio
    assert warm_start_configs("none", "binary", near_boosting, metabase) == []
    regression = warm_start_configs("both", "regression", features(), metabase)
    assert [c["model"] for c, _ in regression] == ["ridge"]


def test_leaving_a_dataset_out_removes_its_row_and_its_smac_configurations():
    without = tiny_metabase().without("trees")
    assert [d.name for d in without.datasets] == ["boosting", "prices"]
    assert [c["model"] for c in without.pools["classification"]] == ["lightgbm", "random_forest", "mlp"]
    assert without.datasets[0].losses == [0.1, 0.3, None]


def test_fit_evaluates_given_warm_starts_first_and_records_metafeatures(tmp_path, mixed_frame):
    X, y = mixed_frame
    warm = [{"model": "extra_trees", "extra_trees:n_estimators": 60}, {"model": "logistic_regression"}]
    model = AutoClassifier(time_budget=None, max_trials=3, warm_start=warm, ensemble_size=0,
                           run_dir=str(tmp_path / "run")).fit(X, y)
    assert model.leaderboard_.sort_values("trial_id")["origin"].tolist() == \
        ["warm start: given 0", "warm start: given 1", "initial design"]
    assert model.trials_[0].config["extra_trees:n_estimators"] == 60
    recorded = json.loads((tmp_path / "run" / "metafeatures.json").read_text())
    assert list(recorded) == list(NAMES) and recorded["log_rows"] == round(math.log(len(X)), 4)


def test_bad_warm_start_is_one_sentence():
    X, y = pd.DataFrame({"a": range(10)}), [0, 1] * 5
    with pytest.raises(InputError, match=r"^Unknown warm_start 'bogus'; choose one of both, portfolio, knn, none"):
        AutoClassifier(warm_start="bogus").fit(X, y)
    with pytest.raises(InputError, match="list of configuration dicts"):
        AutoClassifier(warm_start=[{"no": "model"}]).fit(X, y)
    assert AutoClassifier(warm_start=False).get_params()["warm_start"] is False  # scikit-learn's checks set it
    assert warm_start_design(False, "binary", features(), None) == []
    with pytest.raises(InputError, match="remember must be True, False or None"):
        AutoClassifier(remember="yes").fit(X, y)
