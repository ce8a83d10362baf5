"""Large tables (multi-fidelity search, memory estimates, float32, lean predictions) and a cheap optimizer loop."""



from automl.space.memory import TableShape, estimate_mb, headroom_mb
from automl.space.steps import StepSpec


def _steps(estimator, **params):
    return {"imputer": StepSpec("simple_imputer", "sklearn.impute.SimpleImputer", {}),
            "model": StepSpec("model", estimator, params)}


def test_memory_estimates_grow_with_rows_and_know_forests_from_boosting():
    shape = TableShape(rows=500_000, n_numeric=20, categorical_levels=(), n_classes=0, itemsize=4, valid_rows=250_000)
    forest = _steps("sklearn.ensemble.RandomForestRegressor", n_estimators=100, min_samples_leaf=1)
    boosting = _steps("lightgbm.LGBMRegressor", n_estimators=100, num_leaves=31)
    assert estimate_mb(forest, shape, 1 / 9) < estimate_mb(forest, shape, 1 / 3) < estimate_mb(forest, shape)
    assert estimate_mb(forest, shape) > 10 * estimate_mb(boosting, shape)  # a forest of full-depth trees
    shallow = _steps("sklearn.ensemble.RandomForestRegressor", n_estimators=100, min_samples_leaf=1, max_depth=8)
    assert estimate_mb(shallow, shape) < estimate_mb(forest, shape) / 10
    knn = _steps("sklearn.neighbors.KNeighborsRegressor")
    assert estimate_mb(knn, shape) < 2000  # its distance matrix is computed in chunks


def test_one_hot_encoding_widens_the_estimate():
    shape = TableShape(rows=100_000, n_numeric=2, categorical_levels=(500, 300), n_classes=2)
    base = _steps("sklearn.linear_model.LogisticRegression")
    onehot = {**base, "encoder": StepSpec("onehot", "sklearn.preprocessing.OneHotEncoder", {})}
    assert estimate_mb(onehot, shape) > 100 * estimate_mb(base, shape)
    assert headroom_mb(1000, 100) == 1000 - 250 - 100
