"""How much memory a trial will need, estimated before it runs, so that hopeless ones are skipped.

A trial's worker is killed when it grows past the trial's memory limit; on a large table a forest
of fully grown trees or a k-NN distance matrix can get there after minutes of work. The estimate
below is deliberately rough and errs high, from the data's shape and the step's arguments (no
fitting): the fold's feature matrix and the copies preprocessing makes of it, plus what the
model itself holds (tree nodes, bins, stored rows, kernel features). It reads estimator classes
by name, so a family of the user's own YAML that uses a known estimator gets the same rule, and
an unknown one the generic bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from automl.space.steps import StepSpec

MB = 2**20
PREPROCESSING_COPIES = 6   # a fold's rows (iloc), the imputer's median (numpy's masked median peaks at ~5 copies)
TREE_NODE_BYTES = 64       # scikit-learn's tree node, without its value array
CLASSIFICATION_LEAF_SHARE = 0.25  # classification trees stop at pure leaves: far fewer than one per sample
WORKER_BASE_MB = 250       # a worker's own interpreter and libraries, before any data
KNN_WORKING_MB = 1024      # scikit-learn computes k-NN distances in chunks of at most this (working_memory)


@dataclass(frozen=True)
class TableShape:
    """What the estimate needs to know about the training data."""

    rows: int            # rows of the largest training fold
    n_numeric: int
    categorical_levels: tuple[int, ...]  # distinct values of each categorical column
    n_classes: int       # 0 for regression
    itemsize: int = 8    # bytes per feature value (4 when every feature is kept as float32)
    valid_rows: int = 0  # rows of the largest validation fold (k-NN's distance chunks)


def estimate_mb(steps: dict[str, StepSpec], shape: TableShape, fraction: float = 1.0) -> float:
    """Peak megabytes a trial adds to its worker when fitting ``steps`` on ``fraction`` of a fold."""
    rows = max(int(shape.rows * fraction), 1)
    encoder = steps.get("encoder")
    onehot = encoder is not None and (encoder.estimator or "").endswith("OneHotEncoder")
    width = encoded = shape.n_numeric + (sum(shape.categorical_levels) if onehot else len(shape.categorical_levels))
    preprocessor = steps.get("preprocessor")
    if preprocessor is not None and preprocessor.estimator and preprocessor.estimator.endswith("Nystroem"):
        width = int(preprocessor.params.get("n_components", 100))  # the kernel features replace the columns
    matrix = rows * encoded * shape.itemsize
    features = rows * width * 8
    model = steps["model"]
    return (PREPROCESSING_COPIES * matrix + _model_bytes(model.estimator or "", model.params, rows, width, features,
                                                          shape)) / MB


def _model_bytes(estimator: str, params: dict, rows: int, width: int, features: int, shape: TableShape) -> float:
    outputs = max(shape.n_classes, 1)
    name = estimator.rsplit(".", 1)[-1]
    if name.startswith(("RandomForest", "ExtraTrees")):
        sampled = rows * (0.63 if params.get("bootstrap", name.startswith("RandomForest")) else 1.0)
        leaves = sampled / max(int(params.get("min_samples_leaf", 1)), 1)
        leaves *= CLASSIFICATION_LEAF_SHARE if shape.n_classes else 1.0
        depth = params.get("max_depth")
        if depth is not None:
            leaves = min(leaves, 2.0 ** int(depth))
        node = TREE_NODE_BYTES + 8 * outputs
        return int(params.get("n_estimators", 100)) * 2 * leaves * node + features
    if name.startswith("KNeighbors"):  # keeps the training rows; distances to them in bounded chunks
        distances = min(KNN_WORKING_MB * MB, max(shape.valid_rows, 1) * rows * 8.0)
        return 2 * features + distances
    if name.startswith(("LGBM", "XGB", "HistGradientBoosting")):  # binned copy, gradients, histograms
        trees = int(params.get("n_estimators", params.get("max_iter", 100)))
        leaves = int(params.get("num_leaves", params.get("max_leaf_nodes", 31) or 31))
        return 2 * features + 3 * rows * 8 * outputs + trees * leaves * 64 * outputs
    return 3 * features  # linear models, MLPs, anything else: a few copies of the features



def headroom_mb(limit_mb: float, data_mb: float) -> float:
    """What a trial may add to a worker whose whole process is limited to ``limit_mb``: the limit
    less the worker's own interpreter and libraries and its copy of the training data."""
    return limit_mb - WORKER_BASE_MB - data_mb
