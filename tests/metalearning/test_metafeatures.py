"""Meta-features, the metabase, warm starts (portfolio, nearest datasets, the user's own runs)."""

import math

import numpy as np
import pandas as pd

from automl.metalearning.metafeatures import NAMES, compute_metafeatures


def test_metafeatures_of_a_tiny_classification_table():
    X = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0, 100.0, 3.0], "b": [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                      "colour": ["r", "g", "r", None, "b", "r"]})
    y = np.array([0, 0, 0, 0, 1, 2])
    features = compute_metafeatures(X, y, ["colour"], classification=True)
    assert list(features) == list(NAMES)
    assert features["log_rows"] == round(math.log(6), 4) and features["log_features"] == round(math.log(3), 4)
    assert features["log_rows_per_feature"] == round(math.log(2), 4)
    assert features["numeric_share"] == round(2 / 3, 4) and features["categorical_share"] == round(1 / 3, 4)
    assert features["log_categories_mean"] == round(math.log(3), 4)
    assert features["missing_share"] == round(2 / 18, 4) and features["rows_with_missing_share"] == round(2 / 6, 4)
    shares = np.array([4, 1, 1]) / 6
    assert features["log_classes"] == round(math.log(3), 4)
    assert features["class_entropy"] == round(float(-(shares * np.log2(shares)).sum()), 4)
    assert features["class_imbalance"] == 0.75  # 1 - rarest / commonest
    assert features["skewness_max"] > 1.5 and features["skewness_min"] < features["skewness_max"]
    assert all(np.isfinite(list(features.values())))


def test_metafeatures_of_regression_and_of_columns_without_moments():
    X = pd.DataFrame({"constant": [1.0] * 5, "empty": [np.nan] * 5, "word": list("abcab")})
    features = compute_metafeatures(X, np.arange(5.0), ["word"], classification=False)
    assert features["log_classes"] == features["class_entropy"] == features["class_imbalance"] == 0.0
    assert all(np.isfinite(list(features.values())))
