"""Is automl ever beaten by a fixed default model? Per dataset of an ``automl bench`` run.

Reads OUT/runs.jsonl of ``automl bench`` (any number of datasets: it is resumable and run in pieces)
and prints, for every dataset where automl and each default baseline finished: automl's test score,
the best default baseline and its score, the gap in the metric's direction, whether automl falls
short beyond the tolerance (0.002 AUC, 0.01 log loss, 1 % RMSE; issue 18), automl's trials and the
share of its budget lost to trials stopped at their time limit. Then the mean rank of every system.
``--system`` reads another automl variant in automl's place; ``--versus OTHER`` adds OTHER's score and
the paired difference (positive: the system is better), with the count of wins and losses.

    python benchmarks/default_gap.py benchmarks/results/all85-60s/runs.jsonl
    python benchmarks/default_gap.py benchmarks/results/repeated-cv-60s/runs.jsonl --versus automl_cv
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


def gap_table(runs: pd.DataFrame, system: str = "automl", versus: str | None = None) -> pd.DataFrame:
    rows = []
    for dataset, group in runs.groupby("dataset"):
        by_system = {r.system: r for r in group.itertuples()}
        if system not in by_system or not all(s in by_system for s in DEFAULTS) or (versus and versus not in by_system):
            continue
        ours = by_system[system]
        metric = ours.metric
        scores = {s: by_system[s].test_score for s in DEFAULTS if by_system[s].status == "ok"}
        lower = metric in LOWER_IS_BETTER
        best = min(scores, key=scores.get) if lower else max(scores, key=scores.get)
        worse = shortfall(metric, ours.test_score, scores[best]) if ours.status == "ok" else np.inf
        row = {"dataset": dataset, "task": ours.task, "metric": metric, system: ours.test_score,
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
    complete = runs.groupby("dataset").filter(lambda g: g["system"].nunique() == runs["system"].nunique())
    ranks = []
    for _, group in complete.groupby("dataset"):
        lower = group["metric"].iloc[0] in LOWER_IS_BETTER
        score = group["test_score"].where(group["status"] == "ok", np.inf if lower else -np.inf)
        ranks.append(pd.Series((score if lower else -score).rank(method="average").to_numpy(), index=group["system"]))
    return pd.concat(ranks, axis=1).mean(axis=1).sort_values() if ranks else pd.Series(dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path)
    parser.add_argument("--system", default="automl", help="the automl variant to read (a bench system)")
    parser.add_argument("--versus", help="another system, compared dataset by dataset")
    args = parser.parse_args()
    runs = pd.DataFrame([json.loads(line) for line in args.runs.read_text().splitlines() if line.strip()])
    table = gap_table(runs, args.system, args.versus)
    print(markdown(table.round(4)))
    short = table[table["short"]]
    if args.versus:
        print(f"\n{args.system} against {args.versus}: better on {int((table['better_by'] > 0).sum())}, worse on "
              f"{int((table['better_by'] < 0).sum())}, level on {int((table['better_by'] == 0).sum())} "
              f"(RMSE relative); short of the best default: {len(short)} against "
              f"{int(sum(shortfall(r.metric, getattr(r, args.versus), r.default_score) > TOLERANCE.get(r.metric, 0.0) for r in table.itertuples()))}.")
    print(f"\n{len(table)} datasets complete; {args.system} short of the best default beyond the tolerance on {len(short)}: "
          f"{', '.join(short['dataset']) or 'none'}; fewer than 10 trials on "
          f"{int((table['trials'] < 10).sum())}; time-outs above 10 % of the budget on "
          f"{int((table['timed_out_share'] > 0.10).sum())}.")
    print("\nMean rank (1 = best) over the datasets every system finished:")
    print(mean_ranks(runs).round(2).to_string())


if __name__ == "__main__":
    main()
