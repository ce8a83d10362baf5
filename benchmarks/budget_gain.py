"""Does more budget ever hurt? Compares automl's test scores at two budgets, dataset by dataset. Prints the table.

Reads two runs files of `automl bench` over the same datasets, split and seed (one per budget):

    automl bench ../shared/datasets/manifest.csv --systems automl --time 60 --jobs 2 --only ... --out bench-out/b60
    automl bench ../shared/datasets/manifest.csv --systems automl --time 300 --jobs 2 --only ... --out bench-out/b300
    python benchmarks/budget_gain.py bench-out/b60/runs.jsonl bench-out/b300/runs.jsonl

The gain is the larger budget's score minus the smaller's, in the metric's good direction (RMSE in
percent). "worse" means worse beyond the tolerance: 0.002 AUC, 0.005 log loss, 0.5 % RMSE.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl.bench.runner import read_runs
from automl.bench.tables import _higher_is_better, markdown

TOLERANCE = {"roc_auc": 0.002, "log_loss": 0.005, "rmse": 0.5}  # rmse: percent


def gains(small: list[dict], large: list[dict], system: str = "automl") -> pd.DataFrame:
    """Per dataset in both: the two test scores, the gain and the verdict."""
    def scores(runs):
        return {r["dataset"]: r for r in runs if r["system"] == system and r["status"] == "ok"}
    before, after = scores(small), scores(large)
    rows = []
    for dataset in [d for d in before if d in after]:
        metric, task = before[dataset]["metric"], before[dataset]["task"]
        a, b = before[dataset]["test_score"], after[dataset]["test_score"]
        sign = 1.0 if _higher_is_better(metric, task) else -1.0
        gain = sign * (b - a) * (100 / abs(a) if metric == "rmse" else 1.0)
        tolerance = TOLERANCE.get(metric, 0.0)
        rows.append({"dataset": dataset, "metric": metric, "small": a, "large": b, "gain": gain,
                     "trials_small": before[dataset].get("trials"), "trials_large": after[dataset].get("trials"),
                     "verdict": "worse" if gain < -tolerance else ("better" if gain > tolerance else "same")})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small", type=Path, help="runs.jsonl of the smaller budget")
    parser.add_argument("large", type=Path, help="runs.jsonl of the larger budget")
    args = parser.parse_args()
    table = gains(read_runs(args.small), read_runs(args.large))
    if table.empty:
        raise SystemExit("No dataset has an automl run in both files.")
    print(markdown(table.round(4)))
    print()
    summary = table.groupby("metric").agg(datasets=("gain", "size"), mean_gain=("gain", "mean"),
                                          better=("verdict", lambda v: int((v == "better").sum())),
                                          same=("verdict", lambda v: int((v == "same").sum())),
                                          worse=("verdict", lambda v: int((v == "worse").sum())))
    print(markdown(summary.reset_index().round(4)))


if __name__ == "__main__":
    main()
