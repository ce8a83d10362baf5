"""Does `fit` keep its time budget? Runs automl on datasets at several budgets and prints a table.

Each run is a whole process (interpreter start, reading the data, fit, predict), started and
timed by `automl bench`, so the wall time below is what a user waits for; `fit` is the time of
the fit call alone. The promise: fit returns within budget x 1.05 + 5 s.

    python benchmarks/budget_table.py ../shared/datasets/manifest.csv --budgets 30,120

Runs already in OUT are kept (the script can be stopped and restarted).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl.bench.runner import read_runs, run_bench
from automl.bench.tables import markdown
from automl.manifest import load_datasets

DATASETS = ("titanic", "diabetes_pima", "vowel", "abalone", "churn_mlc", "income_marketing", "pendigits",
            "magic_telescope", "letter", "gss_wages", "tv16_votetrump", "sylva")


def budget_table(out: Path, budgets: list[float]) -> pd.DataFrame:
    rows = []
    for budget in budgets:
        for run in read_runs(out / f"budget-{budget:g}" / "runs.jsonl"):
            rows.append({"dataset": run["dataset"], "budget_s": budget, "wall_s": run["wall_s"],
                         "fit_s": run.get("fit_wall_s"), "fit_ratio": run.get("fit_wall_s", float("nan")) / budget,
                         "wall_ratio": run["wall_s"] / budget, "trials": run.get("trials"),
                         "failed": run.get("failed_trials"), "run_dir_mb": run.get("run_dir_mb"),
                         "kept": run.get("fit_wall_s", float("inf")) <= budget * 1.05 + 5, "status": run["status"]})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--budgets", default="30,120")
    parser.add_argument("--only", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("bench-out/budget"))
    args = parser.parse_args()
    budgets = [float(b) for b in args.budgets.split(",")]
    datasets = load_datasets(args.manifest, None, tuple(args.only.split(",")))
    for budget in budgets:
        run_bench(datasets, systems=("automl",), seeds=(0,), budget_s=budget, out=args.out / f"budget-{budget:g}",
                  progress=print)
    table = budget_table(args.out, budgets)
    print(markdown(table.round({"fit_ratio": 3, "wall_ratio": 3})))
    print(f"\nfit within budget x 1.05 + 5 s: {int(table['kept'].sum())} of {len(table)} runs; "
          f"max fit/budget {table['fit_ratio'].max():.3f}, max process wall/budget {table['wall_ratio'].max():.3f}")


if __name__ == "__main__":
    main()
