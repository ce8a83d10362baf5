"""A wide, many-class table on a small budget (issue 18, point 6): automl against LightGBM's defaults.

Generates a 2,000 x 500 table with 8 classes (scikit-learn's make_classification, seed 0), fits automl with
the budget given and LightGBM's defaults in the same process on the same 75 % of rows, and prints one table:
trials run (and stopped at their limit), test log loss and accuracy of both, and each one's fit seconds.

    python benchmarks/wide_table.py --budget 40
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from automl.bench.tables import markdown


def main() -> None:
    from lightgbm import LGBMClassifier

    from automl import AutoClassifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=40.0)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--columns", type=int, default=500)
    parser.add_argument("--classes", type=int, default=8)
    args = parser.parse_args()
    X, y = make_classification(n_samples=args.rows, n_features=args.columns, n_informative=30, n_redundant=20,
                               n_classes=args.classes, n_clusters_per_class=1, class_sep=1.5, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    rows = []
    with tempfile.TemporaryDirectory() as run_dir:
        started = time.monotonic()
        model = AutoClassifier(time_budget=args.budget, metric="log_loss", seed=0, run_dir=run_dir).fit(X_train, y_train)
        seconds = time.monotonic() - started
    statuses = [t.status.value for t in model.trials_]
    rows.append({"system": "automl", "trials": sum(s in ("ok", "timeout") for s in statuses),
                 "timed_out": statuses.count("timeout"), "log_loss": log_loss(y_test, model.predict_proba(X_test)),
                 "accuracy": float(np.mean(model.predict(X_test) == y_test)), "fit_s": seconds,
                 "final_model": model.final_model_.line()})
    started = time.monotonic()
    lightgbm = LGBMClassifier(n_jobs=1, verbose=-1, random_state=0).fit(X_train, y_train)
    rows.append({"system": "lgbm_default", "trials": 1, "timed_out": 0,
                 "log_loss": log_loss(y_test, lightgbm.predict_proba(X_test)),
                 "accuracy": float(np.mean(lightgbm.predict(X_test) == y_test)), "fit_s": time.monotonic() - started,
                 "final_model": "LGBMClassifier()"})
    print(markdown(pd.DataFrame(rows).round(4)))


if __name__ == "__main__":
    main()
