"""Is automl ever beaten by a fixed default model? Per dataset of an ``automl bench`` run.

Reads OUT/runs.jsonl of ``automl bench`` (any number of datasets: it is resumable and run in pieces)
and prints, for every dataset where automl and each default baseline finished: automl's test score,
the best default baseline and its score, the gap in the metric's direction, whether automl falls
short beyond the tolerance (0.002 AUC, 0.01 log loss, 1 % RMSE; issue 18), automl's trials and the
share of its budget lost to trials stopped at their time limit. Then the mean rank of every system.
``--system`` reads another automl variant in automl's place; ``--versus OTHER`` adds OTHER's score and
the paired difference (positive: the system is better), with the count of wins and losses.
Over several split seeds (``automl bench --seeds 0,1,2``) each system's scores are averaged over the seeds
every system finished, before the best default is chosen: a single test split of a small table moves
AUC by several hundredths, far beyond the tolerance; ``--by-seed`` prints one row per split instead.

    python benchmarks/default_gap.py benchmarks/results/all85-60s/runs.jsonl
    python benchmarks/default_gap.py benchmarks/results/repeated-cv-60s/runs.jsonl --versus automl_cv
    python benchmarks/default_gap.py benchmarks/results/short18-3seeds/runs.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from automl.bench.tables import markdown

DEFAULTS = ("lgbm_default", "xgb_default", "rf_default", "logreg", "catboost_default")
LOWER_IS_BETTER = {"log_loss", "rmse", "mae"}


def shortfall(metric: str, ours: float, best: float) -> float:
    """How much worse automl is than ``best`` (positive: worse), in the units the tolerance uses."""
    if metric == "rmse":
        return (ours - best) / abs(best) if best else 0.0  # relative
    return ours - best if metric in LOWER_IS_BETTER else best - ours


TOLERANCE = {"roc_auc": 0.002, "log_loss": 0.01, "rmse": 0.01}


def seed_means(runs: pd.DataFrame) -> pd.DataFrame:
    """One run per (dataset, system): the mean over the seeds at which every system of the dataset finished
    (a seed where one failed is left out for all), and the number of those seeds."""
    runs = runs.copy()
    runs["ran"] = runs["status"] == "ok"
    complete = runs.groupby(["dataset", "seed"])["ran"].transform("all") & (
        runs.groupby(["dataset", "seed"])["system"].transform("nunique") == runs.groupby("dataset")["system"].transform("nunique"))
    runs = runs[complete]
    numeric = {c: "mean" for c in ("test_score", "trials", "timed_out_s") if c in runs}
    means = runs.groupby(["dataset", "system"], as_index=False).agg(
        {**numeric, "seed": "nunique", "task": "first", "metric": "first", "budget_s": "first"})
    return means.rename(columns={"seed": "seeds"}).assign(status="ok")


def gap_table(runs: pd.DataFrame, system: str = "automl", versus: str | None = None) -> pd.DataFrame:
    """One row per dataset and seed in ``runs`` (or per dataset, for ``seed_means``): automl's gap to the best default."""
    rows = []
    runs = runs.assign(seed=runs["seeds"].astype(str) + " seeds") if "seeds" in runs else runs
    for (dataset, seed), group in runs.groupby(["dataset", "seed"]):
        by_system = {r.system: r for r in group.itertuples()}
        if system not in by_system or not all(s in by_system for s in DEFAULTS) or (versus and versus not in by_system):
            continue
        ours = by_system[system]
        metric = ours.metric
        scores = {s: by_system[s].test_score for s in DEFAULTS if by_system[s].status == "ok"}
        lower = metric in LOWER_IS_BETTER
        best = min(scores, key=scores.get) if lower else max(scores, key=scores.get)
        worse = shortfall(metric, ours.test_score, scores[best]) if ours.status == "ok" else np.inf
        row = {"dataset": dataset, "seed": seed, "task": ours.task, "metric": metric, system: ours.test_score,
               "best_default": best, "default_score": scores[best], "shortfall": worse,
               "short": worse > TOLERANCE.get(metric, 0.0), "trials": ours.trials,
               "timed_out_share": (ours.timed_out_s or 0.0) / ours.budget_s}
        if versus:
            other = by_system[versus]
            row.update({versus: other.test_score, f"{versus}_trials": other.trials,
                        "better_by": -shortfall(metric, ours.test_score, other.test_score)})
        rows.append(row)
    return pd.DataFrame(rows)


def mean_ranks(runs: pd.DataFrame) -> pd.Series:
    complete = runs.groupby(["dataset", "seed"]).filter(lambda g: g["system"].nunique() == runs["system"].nunique())
    ranks = []
    for _, group in complete.groupby(["dataset", "seed"]):
        lower = group["metric"].iloc[0] in LOWER_IS_BETTER
        score = group["test_score"].where(group["status"] == "ok", np.inf if lower else -np.inf)
        ranks.append(pd.Series((score if lower else -score).rank(method="average").to_numpy(), index=group["system"]))
    return pd.concat(ranks, axis=1).mean(axis=1).sort_values() if ranks else pd.Series(dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path)
    parser.add_argument("--system", default="automl", help="the automl variant to read (a bench system)")
    parser.add_argument("--versus", help="another system, compared dataset by dataset")
    parser.add_argument("--by-seed", action="store_true", help="one row per split seed, not their mean")
    args = parser.parse_args()
    runs = pd.DataFrame([json.loads(line) for line in args.runs.read_text().splitlines() if line.strip()])
    several = runs["seed"].nunique() > 1
    table = gap_table(seed_means(runs) if several and not args.by_seed else runs, args.system, args.versus)
    print(markdown(table.round(4)))
    short = table[table["short"]]
    if args.versus:
        print(f"\n{args.system} against {args.versus}: better on {int((table['better_by'] > 0).sum())}, worse on "
              f"{int((table['better_by'] < 0).sum())}, level on {int((table['better_by'] == 0).sum())} "
              f"(RMSE relative); short of the best default: {len(short)} against "
              f"{int(sum(shortfall(r.metric, getattr(r, args.versus), r.default_score) > TOLERANCE.get(r.metric, 0.0) for r in table.itertuples()))}.")
    if several and not args.by_seed:
        per_seed = gap_table(runs, args.system)
        print(f"\nAveraged over the seeds every system finished; one split at a time, short on {int(per_seed['short'].sum())} "
              f"of {len(per_seed)} (dataset, seed) pairs.")
    print(f"\n{len(table)} datasets complete; {args.system} short of the best default beyond the tolerance on {len(short)}: "
          f"{', '.join(short['dataset']) or 'none'}; fewer than 10 trials on "
          f"{int((table['trials'] < 10).sum())}; time-outs above 10 % of the budget on "
          f"{int((table['timed_out_share'] > 0.10).sum())}.")
    print("\nMean rank (1 = best) over the datasets (and seeds) every system finished:")
    print(mean_ranks(runs).round(2).to_string())


if __name__ == "__main__":
    main()
