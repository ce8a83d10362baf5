"""How close is the final model's estimated score to its test score? Prints the tables.

Reads the runs of `automl bench` (or of ensemble_vs_single.py, which runs the single best and the
ensemble), each holding the test score, the final model's nested out-of-fold estimate
(`estimated_score`, and ``unstepped``: without its step along the learning curve to all rows,
`estimate_step`) and the best trial's validation score (`best_validation_score`, what the CLI
printed as "Best:" before the estimate). Error = estimate - test score, in the metric's own
direction (for AUC a positive error is optimism; for log loss and RMSE a negative one); RMSE's
as a percentage of the test RMSE.

    python benchmarks/ensemble_vs_single.py ../shared/datasets/manifest.csv --out bench-out/estimate --jobs 2
    python benchmarks/estimate_error.py bench-out/estimate/runs.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl.bench.runner import read_runs
from automl.bench.tables import markdown

RELATIVE = {"rmse", "mae"}  # errors in percent of the test score


def errors(runs: list[dict]) -> pd.DataFrame:
    """One row per automl run with an estimate: the scores and the two errors."""
    rows = []
    for run in runs:
        if run.get("status") != "ok" or run.get("estimated_score") is None:
            continue
        test, metric = run["test_score"], run["metric"]
        scale = 100 / abs(test) if metric in RELATIVE and test else 1.0
        rows.append({"dataset": run["dataset"], "system": run["system"], "metric": metric, "test": test,
                     "estimate": run["estimated_score"], "best_validation": run.get("best_validation_score"),
                     "estimate_error": (run["estimated_score"] - test) * scale,
                     "unstepped_error": (run["estimated_score"] - (run.get("estimate_step") or 0.0) - test) * scale,
                     "best_validation_error": (run["best_validation_score"] - test) * scale
                     if run.get("best_validation_score") is not None else None})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per metric and system: the mean signed error and the mean absolute error of each number."""
    out = []
    for (metric, system), group in table.groupby(["metric", "system"], sort=True):
        out.append({"metric": metric + (" (%)" if metric in RELATIVE else ""), "system": system, "runs": len(group),
                    "estimate_mean_error": group["estimate_error"].mean(),
                    "estimate_mean_abs_error": group["estimate_error"].abs().mean(),
                    "unstepped_mean_error": group["unstepped_error"].mean(),
                    "unstepped_mean_abs_error": group["unstepped_error"].abs().mean(),
                    "best_validation_mean_error": group["best_validation_error"].mean(),
                    "best_validation_mean_abs_error": group["best_validation_error"].abs().mean()})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="A runs.jsonl written by automl bench.")
    args = parser.parse_args()
    table = errors(read_runs(args.runs))
    if table.empty:
        raise SystemExit(f"{args.runs} holds no automl run with an estimated score.")
    print(markdown(table.round(4)))
    print()
    print(markdown(summary(table).round(4)))


if __name__ == "__main__":
    main()
