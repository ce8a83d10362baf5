"""What does SMAC cost the search? Its ask+tell share of the search, and trials per minute against random search.

Both systems search the same space from the same defaults, with no warm start and no ensemble
(`smac_search` and `random_search`), on cheap datasets where the optimizer's time matters most.
Printed per dataset: trials per minute of search, the optimizer's share of the search's wall
time (SMAC's surrogate fits and acquisition search; random search's sampling), the mean
seconds a trial held the worker (SMAC may choose costlier configurations than random search
does), and the best validation and test scores.

    python benchmarks/optimizer_overhead.py ../shared/datasets/manifest.csv --budget 300 --jobs 2

With --jobs 2 both systems of a dataset run at the same time, so they share the machine's noise.
Runs already in OUT are kept (the script can be stopped and restarted).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl.bench.runner import read_runs, run_bench
from automl.bench.tables import markdown
from automl.manifest import load_datasets

DATASETS = ("diabetes_pima", "credit_approval", "wdbc", "glass", "cmc", "concrete")
SYSTEMS = ("smac_search", "random_search")


def overhead(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for run in runs:
        if run["status"] != "ok":
            continue
        losses = [loss for _, loss in run["trace"] if loss is not None]
        rows.append({"dataset": run["dataset"], "system": run["system"].removesuffix("_search"),
                     "trials": run["trials"], "trials_per_min": 60 * run["trials"] / run["search_s"],
                     "optimizer_pct": 100 * run["optimizer_share"], "s_per_trial": run["trial_s"] / max(run["trials"], 1),
                     "best_valid_loss": min(losses, default=float("nan")),
                     "test_score": run["test_score"]})
    frame = pd.DataFrame(rows).pivot(index="dataset", columns="system")
    frame.columns = [f"{value}:{system}" for value, system in frame.columns]
    frame["trials_ratio"] = frame["trials_per_min:smac"] / frame["trials_per_min:random"]
    return frame.reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--budget", type=float, default=300.0)
    parser.add_argument("--only", default=",".join(DATASETS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench-out/overhead"))
    args = parser.parse_args()
    datasets = load_datasets(args.manifest, None, tuple(args.only.split(",")))
    run_bench(datasets, systems=SYSTEMS, seeds=(0,), budget_s=args.budget, out=args.out, jobs=args.jobs, progress=print)
    table = overhead([r for r in read_runs(args.out / "runs.jsonl") if r["dataset"] in {d.name for d in datasets}])
    columns = ["dataset", "trials:smac", "trials:random", "trials_per_min:smac", "trials_per_min:random", "trials_ratio",
               "optimizer_pct:smac", "optimizer_pct:random", "s_per_trial:smac", "s_per_trial:random",
               "best_valid_loss:smac", "best_valid_loss:random", "test_score:smac", "test_score:random"]
    print(markdown(table[columns].round(3)))
    print(f"\nSMAC's ask+tell share of the search: median {table['optimizer_pct:smac'].median():.2f}%, "
          f"max {table['optimizer_pct:smac'].max():.2f}%")
    print(f"trials per minute, SMAC / random: median {table['trials_ratio'].median():.3f}, "
          f"min {table['trials_ratio'].min():.3f}")


if __name__ == "__main__":
    main()
