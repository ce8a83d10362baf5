"""How does automl scale in rows? Wall time, peak memory, trials and test score against LightGBM defaults.

Generates tables of 10k, 100k and 1M rows x 20 features with scikit-learn's make_classification
(10 informative features: LightGBM's defaults then reach the test AUC of 0.9867 at 1M rows that
issue 9 quotes, 0.9868) and make_regression (noise 10), seed 0, writes them as Parquet, and runs
`automl bench` on them: automl
with a 600 s budget, and LightGBM's defaults trained on the same 75 % of rows. Each run is a
whole process (interpreter start, reading the file, fit, predicting the 25 % test rows), timed
from outside; peak RSS is that of the whole process tree (trial workers included), sampled
four times a second.

    python benchmarks/scale_table.py --budget 600 --jobs 2

Runs already in OUT are kept (the script can be stopped and restarted, or run one size at a time
with --rows); --seeds repeats each run on other splits and searches.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression

from automl.bench.runner import read_runs, run_bench
from automl.bench.tables import markdown
from automl.manifest import load_datasets

ROWS = (10_000, 100_000, 1_000_000)
TASKS = ("binary", "regression")
SYSTEMS = ("automl", "lgbm_default")


def generate(folder: Path, rows: tuple[int, ...], tasks: tuple[str, ...]) -> Path:
    """Write each table (once) and a manifest naming them; returns the manifest's path."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for task in tasks:
        for n in rows:
            name = f"{'classification' if task == 'binary' else 'regression'}_{n // 1000}k"
            path = folder / f"{name}.parquet"
            if not path.exists():
                if task == "binary":
                    X, y = make_classification(n_samples=n, n_features=20, n_informative=10, random_state=0)
                else:
                    X, y = make_regression(n_samples=n, n_features=20, noise=10.0, random_state=0)
                frame = pd.DataFrame(X.astype(np.float64), columns=[f"x{i}" for i in range(20)])
                frame["y"] = y
                frame.to_parquet(path, index=False)
            entries.append({"name": name, "task": task, "target": "y", "file": path.name})
    manifest = folder / "manifest.csv"
    pd.DataFrame(entries).to_csv(manifest, index=False)
    return manifest


def scale_table(runs: list[dict]) -> pd.DataFrame:
    """One row per dataset and seed: automl beside LightGBM's defaults on the same split."""
    rows = []
    by_key = {(r["dataset"], r["system"], r["seed"]): r for r in runs}
    for (dataset, system, seed), run in sorted(by_key.items()):
        if system != "automl":
            continue
        lgbm = by_key.get((dataset, "lgbm_default", seed), {})
        ok = run["status"] == "ok"
        rows.append({"dataset": dataset, "seed": seed, "metric": run["metric"], "status": run["status"],
                     "automl_score": run.get("test_score"), "lgbm_default_score": lgbm.get("test_score"),
                     "wall_s": run["wall_s"], "wall_over_budget": run["wall_s"] / run["budget_s"],
                     "fit_s": run.get("fit_wall_s"), "peak_rss_mb": run["peak_rss_mb"],
                     "trials": run.get("trials") if ok else None, "resampling": run.get("resampling"),
                     "best_model": run.get("best_model"), "lgbm_wall_s": lgbm.get("wall_s"),
                     "lgbm_peak_rss_mb": lgbm.get("peak_rss_mb")})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--rows", default=",".join(map(str, ROWS)))
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--seeds", default="0", help="comma-separated; each seed is another 75/25 split and search")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench-out/scale"))
    args = parser.parse_args()
    rows = tuple(int(n) for n in args.rows.split(","))
    manifest = generate(args.out / "data", rows, tuple(args.tasks.split(",")))
    datasets = load_datasets(manifest)
    run_bench(datasets, systems=tuple(args.systems.split(",")), seeds=tuple(int(s) for s in args.seeds.split(",")), budget_s=args.budget, out=args.out,
              jobs=args.jobs, progress=print)
    table = scale_table(read_runs(args.out / "runs.jsonl"))
    print(markdown(table.round(4)))


if __name__ == "__main__":
    main()
