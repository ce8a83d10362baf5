import numpy as np
import pytest
from ConfigSpace import EqualsCondition, InCondition

from automl.errors import InputError
from automl.space.bounds import DataShape
from automl.space.components import STEPS
from automl.space.configspace import build_space

SHAPE = DataShape(n_rows=1000, fold_rows=800, n_features=10, n_classes=2)


@pytest.mark.parametrize("task, families", [
    ("binary", {"lightgbm", "xgboost", "catboost", "hist_gradient_boosting", "random_forest", "extra_trees",
                "logistic_regression", "k_nearest_neighbors", "mlp"}),
    ("regression", {"lightgbm", "xgboost", "catboost", "hist_gradient_boosting", "random_forest", "extra_trees",
                    "ridge", "k_nearest_neighbors", "mlp"}),
])
def test_one_space_with_top_level_choices(task, families):
    space = build_space(task, SHAPE, has_categorical=True)
    cs = space.configspace
    assert set(cs["model"].choices) == families
    assert set(cs["encoder"].choices) == {"onehot", "ordinal", "target_encoder"}
    assert set(cs["scaler"].choices) == {"no_scaling", "standard", "robust", "quantile"}
    assert set(cs["preprocessor"].choices) == {"no_preprocessing", "pca", "select_percentile", "nystroem"}
    assert "simple_imputer:add_indicator" in cs


def test_family_hyperparameters_are_conditional_and_nested():
    cs = build_space("binary", SHAPE, has_categorical=True).configspace
    parent_of = {c.child.name: c.parent.name for c in cs.conditions if isinstance(c, (EqualsCondition, InCondition))}
    assert parent_of["lightgbm:num_leaves"] == "model"
    nested = [child for child, parent in parent_of.items() if parent != "model" and parent not in STEPS]
    # a child of a child of the model choice
    assert {"xgboost:rate_drop", "logistic_regression:l1_ratio", "mlp:validation_fraction"} <= set(nested)
    assert len(nested) >= 3
    assert len(cs.forbidden_clauses) >= 2


def test_samples_respect_conditions_and_forbidden_clauses():
    space = build_space("binary", SHAPE, has_categorical=True)
    for config in space.sample(300, seed=1):
        model = config["model"]
        assert all(k.split(":")[0] in (config.get(s) for s in STEPS) for k in config if ":" in k)
        if config.get("xgboost:booster") == "gbtree":
            assert "xgboost:rate_drop" not in config
        if config.get("select_percentile:score_func") == "chi2":
            assert config["scaler"] == "quantile"
        assert model in space.configspace["model"].choices


def test_encoder_step_only_with_categorical_columns():
    assert "encoder" not in build_space("binary", SHAPE, has_categorical=False).configspace


def test_bounds_depend_on_the_data():
    tiny = DataShape(n_rows=40, fold_rows=32, n_features=3, n_classes=2)
    cs = build_space("binary", tiny, has_categorical=False).configspace
    assert cs["k_nearest_neighbors:n_neighbors"].upper <= 31
    assert cs["lightgbm:num_leaves"].upper <= 16
    assert cs["lightgbm:min_child_samples"].upper <= 3
    big = build_space("binary", SHAPE, has_categorical=False).configspace
    assert big["k_nearest_neighbors:n_neighbors"].upper == 100
    # numpy's percentiles slow tenfold past a quarter of the rows: the quantile scaler stays within a fifth
    middle = build_space("binary", DataShape(5000, 4000, 10, 2), has_categorical=False).configspace
    assert middle["quantile:n_quantiles"].upper == middle["quantile:n_quantiles"].default_value == 800


def test_large_data_drops_families_with_a_row_limit():
    huge = DataShape(n_rows=200_000, fold_rows=134_000, n_features=10, n_classes=2)
    assert "k_nearest_neighbors" not in build_space("binary", huge, has_categorical=False).configspace["model"].choices


def test_defaults_are_the_libraries_own_and_come_first():
    space = build_space("binary", SHAPE, has_categorical=True)
    defaults = space.default_configs()
    assert [c["model"] for c in defaults[:3]] == ["lightgbm", "xgboost", "random_forest"]
    lgbm = space.to_steps(defaults[0])["model"].params
    assert (lgbm["n_estimators"], lgbm["learning_rate"], lgbm["num_leaves"], lgbm["min_child_samples"]) == (100, 0.1, 31, 20)
    logistic = next(c for c in defaults if c["model"] == "logistic_regression")
    assert logistic["scaler"] == "standard" and logistic["encoder"] == "onehot"


def test_to_steps_gives_typed_values():
    space = build_space("binary", SHAPE, has_categorical=True)
    rf = next(c for c in space.default_configs() if c["model"] == "random_forest")
    params = space.to_steps(rf)["model"].params
    assert params["max_depth"] is None and params["class_weight"] is None and params["bootstrap"] is True
    config = dict(rf, **{"random_forest:max_depth:none": False, "random_forest:max_depth": 7})
    assert space.to_steps(config)["model"].params["max_depth"] == 7
    for config in space.sample(100, seed=3):
        steps = space.to_steps(config)
        if steps["preprocessor"].component == "select_percentile":
            assert callable(steps["preprocessor"].params["score_func"])
            break
    else:
        pytest.fail("no select_percentile among 100 samples")


def test_include_and_exclude_narrow_the_space():
    space = build_space("binary", SHAPE, has_categorical=True, include=("lightgbm", "xgboost", "standard"))
    assert set(space.configspace["model"].choices) == {"lightgbm", "xgboost"}
    assert space.configspace["scaler"].choices == ("standard",)
    assert set(space.configspace["encoder"].choices) == {"onehot", "ordinal", "target_encoder"}
    space = build_space("binary", SHAPE, has_categorical=True, exclude=("mlp", "pca"))
    assert "mlp" not in space.configspace["model"].choices
    assert "pca" not in space.configspace["preprocessor"].choices


def test_unknown_names_are_one_sentence():
    with pytest.raises(InputError, match="Unknown component 'lgbm' in include; known names are"):
        build_space("binary", SHAPE, has_categorical=True, include=("lgbm",))
    with pytest.raises(InputError, match="No model component is left"):
        build_space("regression", SHAPE, has_categorical=True, include=("logistic_regression",))


def test_initial_design_hook_takes_extra_configurations_first():
    space = build_space("binary", SHAPE, has_categorical=False)
    extra = dict(space.sample(1, seed=7)[0])
    design = space.initial_design([extra, extra])
    assert design[0] == extra and design.count(extra) == 1
    assert design[1:] == [c for c in space.default_configs() if c != extra]
    with pytest.raises(InputError, match="Initial configuration 0 does not fit the search space"):
        space.initial_design([{"model": "lightgbm", "lightgbm:num_leaves": 10**9}])


@pytest.mark.parametrize("n_features, n_encoded", [(2, 2), (3, 3), (3, 7), (40, 40), (40, 213)])
def test_select_percentile_keeps_a_column_even_when_every_score_ties(n_features, n_encoded):
    """scikit-learn keeps int(columns x percentile / 100) tied columns: the bound keeps that >= 1."""
    from sklearn.feature_selection import SelectPercentile, f_classif

    space = build_space("binary", DataShape(200, 160, n_features, 2), has_categorical=False)
    low = space.configspace["select_percentile:percentile"].lower
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    tied = np.tile(y[:, None] + rng.normal(scale=0.1, size=(200, 1)), n_encoded)  # identical columns
    assert SelectPercentile(f_classif, percentile=low).fit(tied, y).get_support().sum() >= 1


def test_select_percentile_is_left_out_of_a_one_column_space():
    space = build_space("binary", DataShape(200, 160, 1, 2), has_categorical=False)
    assert "select_percentile" not in space.configspace["preprocessor"].choices
