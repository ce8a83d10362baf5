"""Does extrapolating the cross-validated score along a learning curve remove its pessimism?

automl's estimate of its final model comes from out-of-fold predictions of models fit on 4/5 of the
training rows, while the saved model is refit on all of them: on a table whose learning curve is
still rising, the estimate is pessimistic (benchmarks/cv-pessimism). Here, with no search and no
selection, two fixed models per task (HistGradientBoosting's defaults and a scaled linear model)
are 5-fold cross-validated on several 75/25 splits of each dataset (the bench's split is seed 0),
once as usual (``cv``, fit on 4/5 of the rows) and once fit on a stratified half of each fold's
training rows (``cv_half``, 2/5 of the rows, the same validation rows), then refit on all training
rows and scored on the test rows. Assuming a power-law learning curve, loss(n) = a + b * n**-c,
the two sizes give the score at the full size:

    corrected = cv + R(c) * (cv - cv_half),   R(c) = (q**-c - 1) / ((q / 2)**-c - q**-c),  q = 4/5

Printed: the mean signed and absolute error (estimate - test, in the metric's own direction; RMSE's
in percent of the test RMSE) of ``cv`` and of the corrected estimate for several exponents c, per
metric, over every dataset, model and split. ROC AUC is the mean of the folds' own AUCs, as automl
computes it; log loss and RMSE are over the pooled out-of-fold predictions.

    python benchmarks/learning_curve.py ../shared/datasets/manifest.csv --out benchmarks/results/learning-curve
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from automl.bench.systems import split
from automl.bench.tables import markdown
from automl.metrics import get_metric

METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
EXPONENTS = (0.0, 0.3, 0.5, 1.0)
FOLDS = 5
CURVE_FOLDS = 2  # the cheaper step: from these folds alone


def encoder():
    """Numeric columns imputed and scaled, the others one-hot encoded (at most 20 levels each)."""
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    other = make_pipeline(SimpleImputer(strategy="most_frequent"),
                          OneHotEncoder(handle_unknown="ignore", max_categories=20, sparse_output=False))
    return make_column_transformer((numeric, make_column_selector(dtype_include="number")),
                                   (other, make_column_selector(dtype_exclude="number")))


def models(task: str) -> dict:
    """The two fixed models of a task, each as a function making a fresh one."""
    if task == "regression":
        return {"hgb": lambda: make_pipeline(encoder(), HistGradientBoostingRegressor(random_state=0)),
                "linear": lambda: make_pipeline(encoder(), Ridge())}
    return {"hgb": lambda: make_pipeline(encoder(), HistGradientBoostingClassifier(random_state=0)),
            "linear": lambda: make_pipeline(encoder(), LogisticRegression(max_iter=500))}


def ratio(exponent: float, kept: float = (FOLDS - 1) / FOLDS) -> float:
    """R(c): the step from a fold's training size to the full size, per step from half a fold's size
    (for c = 0, a curve straight in log n)."""
    if exponent == 0:
        return float(np.log(1 / kept) / np.log(2))
    return (kept ** -exponent - 1) / ((kept / 2) ** -exponent - kept ** -exponent)


def half_of(rows: np.ndarray, y: np.ndarray, classes: bool, rng: np.random.Generator) -> np.ndarray:
    """A random half of ``rows`` (of each class's, rounded up, for classification: none goes missing)."""
    strata = [rows[y[rows] == c] for c in np.unique(y[rows])] if classes else [rows]
    return np.concatenate([rng.permutation(s)[: (len(s) + 1) // 2] for s in strata])


def predict(model, X: pd.DataFrame, task: str) -> np.ndarray:
    return model.predict(X) if task == "regression" else model.predict_proba(X)


def one_split(path: Path, target: str, task: str, make, seed: int) -> dict[str, float]:
    """The test score and the two cross-validated scores of one model on the seed's split."""
    X_train, X_test, y_train, y_test = split(path, target, task, seed)
    classes = task != "regression"
    labels = np.unique(y_train) if classes else None
    y = np.searchsorted(labels, y_train) if classes else np.asarray(y_train, dtype=float)
    metric = get_metric(METRICS[task], task, np.arange(len(labels)) if classes else None)
    folds = (StratifiedKFold if classes else KFold)(FOLDS, shuffle=True, random_state=seed)
    width = (len(labels),) if classes else ()
    full, half = np.zeros((len(y), *width)), np.zeros((len(y), *width))
    per_fold: dict[str, list[float]] = {"cv": [], "cv_half": []}
    rng = np.random.default_rng(seed)
    first = np.zeros(len(y), dtype=bool)  # the first CURVE_FOLDS folds' validation rows
    for k, (train, valid) in enumerate(folds.split(X_train, y)):
        first[valid] = k < CURVE_FOLDS
        for name, rows, out in (("cv", train, full), ("cv_half", half_of(train, y, classes, rng), half)):
            model = make().fit(X_train.iloc[rows], y[rows])
            predicted = predict(model, X_train.iloc[valid], task)
            if classes:  # a class the rows lack gets no column: put the columns where they belong
                placed = np.zeros((len(valid), len(labels)))
                placed[:, model.classes_] = predicted
                predicted = placed
            out[valid] = predicted
            per_fold[name].append(metric.score(y[valid], predicted))
    test_y = np.searchsorted(labels, y_test) if classes else np.asarray(y_test, dtype=float)
    test = metric.score(test_y, predict(make().fit(X_train, y), X_test, task))
    if metric.ranks:
        return {"test": test, "cv": float(np.mean(per_fold["cv"])), "cv_half": float(np.mean(per_fold["cv_half"])),
                "cv_first": float(np.mean(per_fold["cv"][:CURVE_FOLDS])),
                "cv_half_first": float(np.mean(per_fold["cv_half"][:CURVE_FOLDS]))}
    return {"test": test, "cv": metric.score(y, full), "cv_half": metric.score(y, half),
            "cv_first": metric.score(y[first], full[first]), "cv_half_first": metric.score(y[first], half[first])}


def run_one(path: Path, dataset: pd.Series, seed: int) -> list[dict]:
    warnings.filterwarnings("ignore")
    rows = []
    for model, make in models(dataset.task).items():
        try:
            scores = one_split(path, dataset.target, dataset.task, make, seed)
        except ValueError as error:  # a metric undefined on a fold, say
            print(f"{dataset['name']} {model} seed {seed}: {error}")
            continue
        rows.append({"dataset": dataset["name"], "task": dataset.task, "rows": dataset.n_rows,
                     "model": model, "seed": seed, **scores})
    return rows


def errors(scores: pd.DataFrame) -> pd.DataFrame:
    """Signed errors (estimate - test; RMSE's in percent) of cv and of each corrected estimate."""
    out = scores[["dataset", "task", "model", "seed"]].copy()
    relative = (scores.task == "regression").to_numpy()
    estimates = {"cv": scores.cv} | {f"c={c}": scores.cv + ratio(c) * (scores.cv - scores.cv_half)
                                     for c in EXPONENTS}
    estimates |= {f"c={c}, {CURVE_FOLDS} folds": scores.cv + ratio(c) * (scores.cv_first - scores.cv_half_first)
                  for c in EXPONENTS}
    for name, estimate in estimates.items():
        error = estimate - scores.test
        out[name] = np.where(relative, 100 * error / scores.test, error)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="Folder for scores.csv.")
    parser.add_argument("--max-rows", type=int, default=5000, help="Datasets up to this many rows.")
    parser.add_argument("--seeds", type=int, default=3, help="75/25 splits per dataset (seeds 0, 1, ...).")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    manifest = pd.read_csv(args.manifest)
    chosen = manifest[manifest.n_rows <= args.max_rows]
    found = Parallel(n_jobs=args.jobs)(delayed(run_one)(args.manifest.parent / d.file, d, seed)
                                       for _, d in chosen.iterrows() for seed in range(args.seeds))
    scores = pd.DataFrame([row for rows in found for row in rows])
    args.out.mkdir(parents=True, exist_ok=True)
    scores.to_csv(args.out / "scores.csv", index=False)
    signed = errors(scores)
    columns = ["cv", *(f"c={c}" for c in EXPONENTS), *(f"c={c}, {CURVE_FOLDS} folds" for c in EXPONENTS)]
    metric = signed.task.map(METRICS) + np.where(signed.task == "regression", " (%)", "")
    print(f"## Mean signed error (estimate - test), {args.seeds} splits, both models\n")
    print(markdown(signed.groupby(metric)[columns].mean().reset_index(names="metric")))
    print("\n## Mean absolute error\n")
    print(markdown(signed[columns].abs().groupby(metric).mean().reset_index(names="metric")))
    print("\n## Mean signed error per dataset (both models, all splits)\n")
    print(markdown(signed.groupby(["task", "dataset"])[columns].mean().reset_index()))


if __name__ == "__main__":
    main()
