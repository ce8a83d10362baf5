"""Do warm starts pay? Leave-one-dataset-out over the shipped metabase; prints the tables.

For each dataset, the metabase loses that dataset: its row, and the pool configurations that
SMAC found on it (``Metabase.without``, as ``automl bench`` always does); the greedy portfolio
and the nearest datasets are then computed without it. Three automl systems run on the same 75/25 split (seed 0), each with the
whole budget and the default ensemble:

* ``warm30``: warm start from the leave-one-out metabase, 30 s;
* ``cold30`` and ``cold120``: no warm start (``warm_start="none"``), 30 s and 120 s.

``dummy`` maps to 0 and the best of the three to 1 (normalised score). For each dataset it also
prints when (seconds into the search) the warm run's best validation loss first reached the best
validation loss of the cold 120 s run ("-" when it never did; "n/a" when the two runs validated
differently, so their losses do not compare).

    python benchmarks/warm_start_loo.py ../shared/datasets/manifest.csv

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

DATASETS = ("credit_approval", "diabetes_pima", "kc1", "phoneme", "ionosphere", "churn_mlc", "wdbc", "sonar",
            "vowel", "segment", "glass", "cmc", "satimage", "soybean",
            "abalone", "concrete", "bikeshare", "ames_housing", "house_prices_windsor", "cpus", "saratoga_houses")
SYSTEMS = ("warm30", "cold30", "cold120")


def reached_at(warm: dict, cold: dict) -> str:
    """Seconds into the warm run when its best validation loss first reached the cold run's best."""
    if warm.get("resampling") != cold.get("resampling"):
        return "n/a"
    target = min((loss for _, loss in cold.get("trace", []) if loss is not None), default=None)
    for finished, loss in warm.get("trace", []):
        if loss is not None and target is not None and loss <= target:
            return f"{finished:.1f}"
    return "-"


def comparison(runs30: list[dict], runs120: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    by = {(r["dataset"], r["system"]): r for r in runs30}
    by.update({(r["dataset"], "cold120"): r for r in runs120 if r["system"] == "automl_cold"})
    renamed = {"automl": "warm30", "automl_cold": "cold30"}
    by = {(d, renamed.get(s, s)): r for (d, s), r in by.items()}
    rows = []
    for dataset in dict.fromkeys(r["dataset"] for r in runs30):
        if not all((dataset, s) in by for s in (*SYSTEMS, "dummy")):
            continue
        first = by[(dataset, "warm30")]
        sign = 1.0 if _higher_is_better(first["metric"], first["task"]) else -1.0
        score = {s: by[(dataset, s)].get("test_score") if by[(dataset, s)]["status"] == "ok" else np.nan
                 for s in (*SYSTEMS, "dummy")}
        best = max(sign * score[s] for s in SYSTEMS)
        floor = sign * score["dummy"]
        row = {"dataset": dataset, "metric": first["metric"]}
        for system in SYSTEMS:
            row[system] = score[system]
            row[f"{system}_norm"] = (sign * score[system] - floor) / (best - floor) if best > floor else 1.0
        for other in ("cold30", "cold120"):
            diff = sign * (score["warm30"] - score[other])
            scale = max(abs(score[other]), 1e-12)
            row[f"vs_{other}"] = "tie" if abs(diff) / scale <= TIE else ("win" if diff > 0 else "loss")
        row["warm_trials"] = first.get("trials")
        row["warm_reached_cold120_s"] = reached_at(first, by[(dataset, "cold120")])
        rows.append(row)
    table = pd.DataFrame(rows)
    summary = []
    for system in SYSTEMS:
        if table.empty:
            break
        entry = {"system": system, "mean_normalised": table[f"{system}_norm"].mean()}
        if system != "warm30":
            outcome = table[f"vs_{system}"]
            entry.update({"warm30_wins": int((outcome == "win").sum()), "ties": int((outcome == "tie").sum()),
                          "warm30_losses": int((outcome == "loss").sum())})
        summary.append(entry)
    return table, pd.DataFrame(summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--only", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("bench-out/warm-start"))
    parser.add_argument("--jobs", type=int, default=1, help="Runs side by side (each its own process).")
    args = parser.parse_args()
    datasets = load_datasets(args.manifest, None, tuple(args.only.split(",")))
    run_bench(datasets, systems=("automl", "automl_cold", "dummy"), seeds=(0,), budget_s=30, out=args.out / "30s",
              jobs=args.jobs, progress=print)  # run_bench leaves each dataset out of the metabase it tests
    run_bench(datasets, systems=("automl_cold",), seeds=(0,), budget_s=120, out=args.out / "120s", jobs=args.jobs,
              progress=print)
    names = {d.name for d in datasets}
    table, summary = comparison([r for r in read_runs(args.out / "30s" / "runs.jsonl") if r["dataset"] in names],
                                [r for r in read_runs(args.out / "120s" / "runs.jsonl") if r["dataset"] in names])
    shown = ["dataset", "metric", *SYSTEMS, "vs_cold30", "vs_cold120", "warm_trials", "warm_reached_cold120_s"]
    print(markdown(table[[c for c in shown if c in table]]) if len(table) else "No dataset has all its runs yet.")
    print()
    print(markdown(summary) if len(summary) else "")


if __name__ == "__main__":
    main()
