"""Turn the typed steps of one configuration into a scikit-learn Pipeline.

    ColumnTransformer(numeric: impute -> scale, categorical: fill -> encode,
                      each date: parse -> date_encoder -> impute, each text: text_encoder) -> features -> model

Every learned step lives inside the Pipeline, so fitting it on a training fold fits every
step on that fold only: this is what keeps trials free of leakage. A model that reads categorical
columns itself (its YAML names a ``categorical_argument``, as CatBoost's ``cat_features``) gets a
DataFrame whose categorical columns hold the ordinal encoder's integer codes, and that argument
lists them by name.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from automl.data import Schema
from automl.space.steps import StepSpec, import_object

MISSING_CATEGORY = "__missing__"
DATE_PARSING = {"errors": "coerce", "format": "mixed"}  # each value on its own; what does not parse is missing


def build_pipeline(steps: dict[str, StepSpec], schema: Schema, *, seed: int) -> Pipeline:
    """A fresh, unfitted Pipeline for these steps over the schema's columns."""
    model = steps["model"]
    native = model.categorical_argument is not None and bool(schema.categorical)
    if native:  # integer codes, named: the model's own categorical handling reads them
        steps = {**steps, "encoder": replace(steps["encoder"], params={**steps["encoder"].params, "dtype": "int64"}),
                 "model": replace(model, params={**model.params, model.categorical_argument: tuple(schema.categorical)})}
    branches = []
    if schema.numeric:
        numeric = Pipeline([("impute", _make(steps.get("imputer"), seed)), ("scale", _make(steps.get("scaler"), seed))])
        branches.append(("numeric", numeric, list(schema.numeric)))
    if schema.categorical:
        categorical = Pipeline([
            ("fill", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
            ("encode", _make(steps.get("encoder"), seed)),
        ])
        branches.append(("categorical", categorical, list(schema.categorical)))
    for i, name in enumerate(schema.dates):  # skrub's encoders take one column each
        date = Pipeline([("parse", FunctionTransformer(pd.to_datetime, kw_args=DATE_PARSING)),
                         ("encode", _make(steps.get("date_encoder"), seed)),
                         ("impute", SimpleImputer(strategy="median", keep_empty_features=True))])
        branches.append((f"date{i}", date, name))  # by position: a column name may hold "__"
    for i, name in enumerate(schema.text):
        branches.append((f"text{i}", _make(steps.get("text_encoder"), seed), name))
    columns = ColumnTransformer(branches, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False)
    if native:
        columns.set_output(transform="pandas")
    return Pipeline([
        ("columns", columns),
        ("features", _make(steps.get("preprocessor"), seed)),
        ("model", _make(steps["model"], seed)),
    ])


def _make(spec: StepSpec | None, seed: int) -> BaseEstimator | str:
    if spec is None or spec.estimator is None:
        return "passthrough"
    cls = import_object(spec.estimator)
    params: dict[str, Any] = dict(spec.params)
    defaults = {name: p.default for name, p in inspect.signature(cls).parameters.items()}  # CatBoost's get_params
    if defaults.get("random_state") == "deprecated" and isinstance(params.get("cv"), int):  # lists only those set
        # TargetEncoder (scikit-learn >= 1.9) takes its inner folds' seed from a splitter, not random_state
        splitter = KFold if params.get("target_type") == "continuous" else StratifiedKFold
        params["cv"] = splitter(params["cv"], shuffle=True, random_state=seed)
    elif "random_state" in defaults and "random_state" not in params:
        params["random_state"] = seed
    return cls(**params)
