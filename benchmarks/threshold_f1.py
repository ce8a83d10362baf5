"""Does the tuned decision threshold help F1 on imbalanced tables? Paired: one fit, two ways to predict.

For every binary dataset of the manifest whose minority class is under ``--share`` of the rows (its
75/25 split, seed 0): one automl fit with ``metric="f1"`` of ``--budget`` seconds. On the test rows,
F1 of ``predict`` (the threshold tuned on out-of-fold predictions) against F1 of the same model's
probabilities cut at 0.5, with the threshold, the positive class's share and the test AUC.

    python benchmarks/threshold_f1.py ../shared/datasets/manifest.csv --out benchmarks/results/threshold-f1-60s --jobs 2

Datasets already in OUT/runs.jsonl are kept, so the script can be stopped and restarted.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from automl.bench.runner import run_in_pieces
from automl.bench.tables import markdown
from automl.manifest import load_datasets


def run_dataset(spec: dict) -> dict:
    """One fit; test F1 at the tuned threshold and at 0.5."""
    from sklearn.metrics import f1_score, roc_auc_score

    from automl import AutoClassifier
    from automl.bench.systems import split

    warnings.simplefilter("ignore")
    X_train, X_test, y_train, y_test = split(Path(spec["path"]), spec["target"], "binary", 0)
    with tempfile.TemporaryDirectory() as run_dir:
        model = AutoClassifier(time_budget=spec["budget"], metric="f1", seed=0, run_dir=run_dir).fit(X_train, y_train)
    positive = model.classes_[1]
    proba = model.predict_proba(X_test)[:, 1]
    truth = np.asarray(y_test) == positive
    return {"dataset": spec["name"], "rows": len(X_train) + len(X_test), "positive_share": float(truth.mean()),
            "threshold": model.decision_threshold_, "f1_tuned": float(f1_score(truth, model.predict(X_test) == positive)),
            "f1_at_0.5": float(f1_score(truth, proba > 0.5)), "test_auc": float(roc_auc_score(truth, proba)),
            "estimated_f1": model.estimated_score_.value if model.estimated_score_ else None,
            "trials": model.n_trials_, "budget": spec["budget"]}


def minority_share(path: Path, target: str) -> float:
    from automl.data import read_table

    return float(read_table(path)[target].dropna().value_counts(normalize=True).min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--share", type=float, default=0.10, help="Minority share below which a table counts.")
    parser.add_argument("--out", type=Path, default=Path("bench-out/threshold-f1"))
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    specs = [{"name": d.name, "path": str(d.file), "target": d.target, "budget": args.budget}
             for d in load_datasets(args.manifest, None, ())
             if d.task == "binary" and minority_share(d.file, d.target) < args.share]
    results = run_in_pieces(args.out / "runs.jsonl", run_dataset, specs, args.jobs,
                            lambda result: print(f"{result['dataset']}: F1 {result['f1_tuned']:.3f} tuned, {result['f1_at_0.5']:.3f} at 0.5", flush=True))
    table = pd.DataFrame(results).sort_values("dataset")
    table["gain"] = table["f1_tuned"] - table["f1_at_0.5"]
    print(markdown(table.round(4)))
    print(f"\nmean F1: tuned {table['f1_tuned'].mean():.4f}, at 0.5 {table['f1_at_0.5'].mean():.4f}; tuned better on "
          f"{int((table['gain'] > 0.005).sum())}, worse on {int((table['gain'] < -0.005).sum())} of {len(table)}")


if __name__ == "__main__":
    main()
