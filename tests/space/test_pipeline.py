"""A configuration's typed steps become one leak-free scikit-learn Pipeline."""

import numpy as np
import pandas as pd

from automl.data import Schema
from automl.space.pipeline import MISSING_CATEGORY, build_pipeline
from automl.space.steps import StepSpec

SCHEMA = Schema(numeric=("x",), categorical=("colour",))


def _steps(**extra):
    return {"imputer": StepSpec("median", "sklearn.impute.SimpleImputer", {"strategy": "median"}),
            "scaler": StepSpec("no_scaling", None, {}),
            "encoder": StepSpec("one_hot", "sklearn.preprocessing.OneHotEncoder", {"handle_unknown": "ignore"}),
            "model": StepSpec("logistic_regression", "sklearn.linear_model.LogisticRegression", {"C": 2.0}),
            **extra}


def test_steps_become_columns_features_and_model_with_the_seed_where_the_estimator_takes_one():
    pipeline = build_pipeline(_steps(), SCHEMA, seed=7)
    assert [name for name, _ in pipeline.steps] == ["columns", "features", "model"]
    assert pipeline.named_steps["features"] == "passthrough"  # no preprocessor step given
    model = pipeline.named_steps["model"]
    assert model.C == 2.0 and model.random_state == 7
    numeric, categorical = pipeline.named_steps["columns"].transformers[0], pipeline.named_steps["columns"].transformers[1]
    assert numeric[2] == ["x"] and categorical[2] == ["colour"]
    assert categorical[1].named_steps["fill"].fill_value == MISSING_CATEGORY


def test_the_pipeline_fits_on_missing_values_and_predicts_unseen_categories():
    X = pd.DataFrame({"x": [0.0, 1.0, np.nan, 3.0, 4.0, 5.0], "colour": ["a", "b", None, "a", "b", "a"]})
    y = np.array([0, 1, 0, 1, 0, 1])
    pipeline = build_pipeline(_steps(), SCHEMA, seed=0).fit(X, y)
    new = pd.DataFrame({"x": [2.0], "colour": ["never seen"]})
    assert pipeline.predict_proba(new).shape == (1, 2)


def test_a_table_without_categorical_columns_has_no_categorical_branch():
    pipeline = build_pipeline(_steps(), Schema(numeric=("x",), categorical=()), seed=0)
    assert [name for name, *_ in pipeline.named_steps["columns"].transformers] == ["numeric"]
