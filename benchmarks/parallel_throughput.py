"""Trials per minute with 1 and 2 dask workers, side by side, on the same datasets and budget.

Both systems search without an ensemble (`automl_single` with n_jobs=1, `automl_single_2jobs`
with n_jobs=2), so the difference is the parallel search alone: its throughput (trials per
minute of fit time, cluster start-up included), the best validation score and the test score.

    python benchmarks/parallel_throughput.py ../shared/datasets/manifest.csv --budget 60

Runs already in OUT are kept (the script can be stopped and restarted).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl.bench.runner import read_runs, run_bench
from automl.bench.tables import markdown
from automl.manifest import load_datasets

DATASETS = ("diabetes_pima", "credit_approval", "vowel", "abalone", "phoneme")
SYSTEMS = ("automl_single", "automl_single_2jobs")


def throughput(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for run in runs:
        if run["status"] != "ok":
            continue
        rows.append({"dataset": run["dataset"], "system": run["system"], "trials": run["trials"],
                     "fit_s": run["fit_wall_s"], "trials_per_min": 60 * run["trials"] / run["fit_wall_s"],
                     "test_score": run["test_score"]})
    frame = pd.DataFrame(rows).pivot(index="dataset", columns="system")
    frame.columns = [f"{value}:{system}" for value, system in frame.columns]
    frame["speedup"] = frame[f"trials_per_min:{SYSTEMS[1]}"] / frame[f"trials_per_min:{SYSTEMS[0]}"]
    return frame.reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("bench-out/parallel"))
    args = parser.parse_args()
    datasets = load_datasets(args.manifest, None, tuple(args.only.split(",")))
    run_bench(datasets, systems=SYSTEMS, seeds=(0,), budget_s=args.budget, out=args.out, progress=print)
    table = throughput([r for r in read_runs(args.out / "runs.jsonl") if r["dataset"] in {d.name for d in datasets}])
    print(markdown(table.round(3)))
    print(f"\nmedian speed-up in trials per minute, 2 workers vs 1: {table['speedup'].median():.2f}")


if __name__ == "__main__":
    main()
