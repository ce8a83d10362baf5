"""Is the ensemble better than the single best pipeline at the same total budget? Prints the table.

Two automl systems, each given the whole budget (search + final model) on the same 75/25 split
(seed 0): `automl_single` (ensemble_size=0) and `automl` (Caruana ensemble, members refit on all
rows: the default). `dummy` is run too: the normalised score maps it to 0 and the best to 1.
(Commit bcb1960 also had `automl_folds`, members averaging their fold models; README says why
it was dropped.)

    python benchmarks/ensemble_vs_single.py ../shared/datasets/manifest.csv --budget 60

Runs already in OUT are kept, so the script can be stopped and restarted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from automl.bench.runner import read_runs, run_bench
from automl.bench.tables import TIE, _higher_is_better, markdown
from automl.manifest import load_datasets

DATASETS = ("credit_approval", "diabetes_pima", "churn_mlc", "phoneme", "kc1", "ionosphere",
            "vowel", "segment", "satimage", "cmc", "glass", "wvs_poverty",
            "abalone", "concrete", "ames_housing", "bikeshare", "house_prices_windsor")
SYSTEMS = ("automl_single", "automl")


def comparison(runs: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per dataset: each system's test score, normalised score and predict seconds per 10,000 rows;
    then per system: wins/ties/losses against the single best, mean normalised score, median predict time."""
    frame = pd.DataFrame(runs)
    frame["score"] = [r.get("test_score") if r["status"] == "ok" else np.nan for r in runs]
    rows = []
    for dataset, group in frame.groupby("dataset", sort=False):
        by_system = group.set_index("system")
        higher = _higher_is_better(group["metric"].iloc[0], group["task"].iloc[0])
        sign = 1.0 if higher else -1.0
        ours = [s for s in SYSTEMS if s in by_system.index]
        best = max(sign * by_system.loc[s, "score"] for s in ours)
        floor = sign * by_system.loc["dummy", "score"] if "dummy" in by_system.index else np.nan
        row = {"dataset": dataset, "metric": group["metric"].iloc[0]}
        for system in ours:
            score = by_system.loc[system, "score"]
            row[system] = score
            row[f"{system}_norm"] = (sign * score - floor) / (best - floor) if best > floor else 1.0
            row[f"{system}_predict_s_10k"] = by_system.loc[system].get("predict_s_per_10k", np.nan)
            row[f"{system}_fit_s"] = by_system.loc[system].get("fit_wall_s", np.nan)
        for system in ours[1:]:
            diff = sign * (by_system.loc[system, "score"] - by_system.loc[SYSTEMS[0], "score"])
            row[f"{system}_vs_single"] = "tie" if abs(diff) <= TIE else ("win" if diff > 0 else "loss")
        rows.append(row)
    table = pd.DataFrame(rows)
    summary = []
    for system in SYSTEMS:
        if system not in table:
            continue
        outcome = table.get(f"{system}_vs_single", pd.Series(dtype=object))
        summary.append({"system": system, "wins": int((outcome == "win").sum()), "ties": int((outcome == "tie").sum()),
                        "losses": int((outcome == "loss").sum()), "mean_normalised": table[f"{system}_norm"].mean(),
                        "median_predict_s_10k": table[f"{system}_predict_s_10k"].median(),
                        "max_fit_s": table[f"{system}_fit_s"].max()})
    return table, pd.DataFrame(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("bench-out/ensemble"))
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="Which of them to run (both by default).")
    parser.add_argument("--jobs", type=int, default=1, help="Runs side by side (each on one core).")
    args = parser.parse_args()
    datasets = load_datasets(args.manifest, None, tuple(args.only.split(",")))
    run_bench(datasets, systems=(*args.systems.split(","), "dummy"), seeds=(0,), budget_s=args.budget, out=args.out,
              jobs=args.jobs, progress=print)
    runs = [r for r in read_runs(args.out / "runs.jsonl") if r["dataset"] in {d.name for d in datasets}]
    table, summary = comparison(runs)
    shown = ["dataset", "metric", *SYSTEMS, *(f"{s}_vs_single" for s in SYSTEMS[1:]),
             *(f"{s}_predict_s_10k" for s in SYSTEMS)]
    print(markdown(table[[c for c in shown if c in table]].round(4)))
    print()
    print(markdown(summary.round(4)))


if __name__ == "__main__":
    main()
