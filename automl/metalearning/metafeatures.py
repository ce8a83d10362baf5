"""Cheap dataset meta-features: what the k-nearest-datasets warm start measures distance on.

auto-sklearn's run-time set without landmarkers (no model is fitted): sizes and their log
ratios, column types, missing values, the class distribution, and summaries of the numeric
columns' skewness and kurtosis. Skewness and kurtosis are computed on at most 10,000 rows
drawn with a fixed seed, so that the whole set takes well under a second on 100,000 rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

MOMENT_ROWS = 10_000
NAMES = ("log_rows", "log_features", "log_rows_per_feature", "numeric_share", "categorical_share",
         "log_categories_mean", "missing_share", "rows_with_missing_share", "log_classes", "class_entropy",
         "class_imbalance", "skewness_min", "skewness_max", "skewness_mean", "skewness_std",
         "kurtosis_min", "kurtosis_max", "kurtosis_mean", "kurtosis_std")


def compute_metafeatures(X: pd.DataFrame, y: np.ndarray, categorical: tuple[str, ...] | list[str],
                         classification: bool) -> dict[str, float]:
    """The meta-features of the table ``X`` (prepared features) and target ``y`` (class codes or values).

    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 10.0], "b": ["x", "y", "x", None]})
    >>> features = compute_metafeatures(X, np.array([0, 1, 0, 1]), ["b"], classification=True)
    >>> features["log_rows"], features["categorical_share"], features["class_entropy"]
    (1.3863, 0.5, 1.0)
    """
    n_rows, n_features = X.shape
    categorical = [c for c in X.columns if c in set(categorical)]
    numeric = [c for c in X.columns if c not in set(categorical)]
    missing = X.isna().to_numpy()
    values = {
        "log_rows": math.log(max(n_rows, 1)),
        "log_features": math.log(max(n_features, 1)),
        "log_rows_per_feature": math.log(max(n_rows, 1) / max(n_features, 1)),
        "numeric_share": len(numeric) / max(n_features, 1),
        "categorical_share": len(categorical) / max(n_features, 1),
        "log_categories_mean": float(np.mean([math.log(max(X[c].nunique(), 1)) for c in categorical])) if categorical else 0.0,
        "missing_share": float(missing.mean()) if missing.size else 0.0,
        "rows_with_missing_share": float(missing.any(axis=1).mean()) if missing.size else 0.0,
        **_class_features(y, classification),
        **_moment_features(X[numeric], n_rows),
    }
    return {name: round(float(values[name]), 4) for name in NAMES}


def _class_features(y: np.ndarray, classification: bool) -> dict[str, float]:
    if not classification:
        return {"log_classes": 0.0, "class_entropy": 0.0, "class_imbalance": 0.0}
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    counts = counts[counts > 0]
    shares = counts / counts.sum()
    entropy = float(-(shares * np.log2(shares)).sum())
    return {"log_classes": math.log(len(counts)), "class_entropy": entropy,
            "class_imbalance": 1.0 - counts.min() / counts.max()}


def _moment_features(numeric: pd.DataFrame, n_rows: int) -> dict[str, float]:
    summaries = {}
    if numeric.shape[1] and n_rows > MOMENT_ROWS:
        numeric = numeric.sample(MOMENT_ROWS, random_state=0)
    for name, method in (("skewness", "skew"), ("kurtosis", "kurt")):
        moments = getattr(numeric, method)().replace([np.inf, -np.inf], np.nan).dropna().to_numpy() \
            if numeric.shape[1] else np.zeros(0)
        moments = np.clip(moments, -1e3, 1e3)  # a near-constant column must not dominate the distances
        stats = (moments.min(), moments.max(), moments.mean(), moments.std()) if moments.size else (0.0,) * 4
        summaries.update({f"{name}_{kind}": float(v) for kind, v in zip(("min", "max", "mean", "std"), stats)})
    return summaries
