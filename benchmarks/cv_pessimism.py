"""How far is a fixed model's cross-validated ROC AUC from its test AUC? No search, no selection.

The bench compares automl's estimate of its final model with the test score of ONE 75/25 split
per dataset. This separates what any cross-validation brings to that error from what automl's
selection adds: for each small binary dataset of the manifest, on several 75/25 splits (the
bench's split is seed 0), two fixed models (scikit-learn's HistGradientBoosting defaults and a
scaled logistic regression) are 5-fold cross-validated on the training rows and refit on all of
them. Printed, per dataset and overall (error = estimate - test AUC; negative is pessimistic):

* ``pooled``: the AUC of the pooled out-of-fold predictions (what automl's scores use);
* ``per_fold``: the mean of the five folds' own AUCs (each fold model scored alone);
* ``test80``: the test AUC of a model fit on 80 % of the training rows, the size of a fold model:
  ``test80 - test`` is the part of the error that comes from fitting on fewer rows.

    python benchmarks/cv_pessimism.py ../shared/datasets/manifest.csv --out benchmarks/results/cv-pessimism
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from automl.bench.tables import markdown
from automl.data import read_table

MODELS = {"hgb": lambda: HistGradientBoostingClassifier(random_state=0),
          "logreg": lambda: make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=300))}
MAX_COLUMNS = 300  # one-hot columns kept (the widest tables would dominate the time)


def one_split(X: pd.DataFrame, y: np.ndarray, make, seed: int) -> dict[str, float]:
    """The three estimates and the test AUC of one model on the seed's 75/25 split."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    pooled, per_fold = np.zeros(len(y_train)), []
    for train, valid in StratifiedKFold(5, shuffle=True, random_state=seed).split(X_train, y_train):
        pooled[valid] = make().fit(X_train.iloc[train], y_train[train]).predict_proba(X_train.iloc[valid])[:, 1]
        per_fold.append(roc_auc_score(y_train[valid], pooled[valid]))
    test = roc_auc_score(y_test, make().fit(X_train, y_train).predict_proba(X_test)[:, 1])
    fifths = train_test_split(np.arange(len(y_train)), train_size=0.8, random_state=seed, stratify=y_train)[0]
    test80 = roc_auc_score(y_test, make().fit(X_train.iloc[fifths], y_train[fifths]).predict_proba(X_test)[:, 1])
    return {"pooled": roc_auc_score(y_train, pooled), "per_fold": float(np.mean(per_fold)), "test": test, "test80": test80}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="Folder for scores.csv.")
    parser.add_argument("--max-rows", type=int, default=3000, help="Binary datasets up to this many rows.")
    parser.add_argument("--seeds", type=int, default=4, help="75/25 splits per dataset (seeds 0, 1, ...).")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    manifest = pd.read_csv(args.manifest)
    chosen = manifest[(manifest.task == "binary") & (manifest.n_rows <= args.max_rows)]
    rows = []
    for _, dataset in chosen.iterrows():
        frame = read_table(args.manifest.parent / dataset.file).dropna(subset=[dataset.target])
        y = pd.factorize(frame[dataset.target], sort=True)[0]  # class order as the bench stratifies
        X = pd.get_dummies(frame.drop(columns=[dataset.target])).astype(float).iloc[:, :MAX_COLUMNS]
        for model, make in MODELS.items():
            for seed in range(args.seeds):
                rows.append({"dataset": dataset["name"], "rows": len(y), "model": model, "seed": seed,
                             **one_split(X, y, make, seed)})
    scores = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    scores.to_csv(args.out / "scores.csv", index=False)
    for name in ("pooled", "per_fold", "test80"):
        scores[f"{name}_error"] = scores[name] - scores["test"]
    errors = [c for c in scores if c.endswith("_error")]
    print(f"## Error against the test AUC, mean over {args.seeds} splits and both models\n")
    print(markdown(scores.groupby(["dataset", "rows"], as_index=False)[errors].mean()))
    print("\n## Overall\n")
    overall = scores.groupby("model")[errors].mean()
    overall.loc["both"] = scores[errors].mean()
    overall.loc["both, seed 0 (the bench's split)"] = scores[scores.seed == 0][errors].mean()
    print(markdown(overall.reset_index()))


if __name__ == "__main__":
    main()
