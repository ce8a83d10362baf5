"""Two ``automl bench`` runs of the same datasets, side by side: what a change did, dataset by dataset.

Reads BEFORE/runs.jsonl and AFTER/runs.jsonl (the same datasets, split seeds and budget; ``--system``,
automl by default) and prints per dataset the test score before and after, the paired difference in
the metric's direction (positive: after is better) and whether it is beyond the tolerance (0.002 AUC,
0.01 log loss, 1 % RMSE), the trials, the seconds lost to trials stopped at their time limit, and the
trials run shrunk; then the counts of better and worse, and the mean share of the budget timed out.

    python benchmarks/compare_runs.py bench-out/before bench-out/after
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from default_gap import TOLERANCE, shortfall  # noqa: E402

from automl.bench.runner import read_runs  # noqa: E402
from automl.bench.tables import markdown  # noqa: E402


def _runs(folder: Path, system: str) -> pd.DataFrame:
    runs = pd.DataFrame([r for r in read_runs(folder / "runs.jsonl") if r.get("system") == system
                         and r.get("status") == "ok"])
    return runs.drop_duplicates(["dataset", "seed"], keep="last").set_index(["dataset", "seed"])


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per dataset (and seed) both runs finished."""
    rows = []
    for key in sorted(set(before.index) & set(after.index)):
        b, a = before.loc[key], after.loc[key]
        gain = shortfall(b["metric"], b["test_score"], a["test_score"])  # how much worse before is than after
        rows.append({"dataset": key[0], "seed": key[1], "metric": b["metric"], "before": b["test_score"],
                     "after": a["test_score"], "gain": gain,
                     "beyond": "better" if gain > TOLERANCE[b["metric"]] else
                               "worse" if gain < -TOLERANCE[b["metric"]] else "",
                     "trials": f"{b['trials']} / {a['trials']}",
                     "timed_out_s": f"{b.get('timed_out_s', 0):.0f} / {a.get('timed_out_s', 0):.0f}",
                     "shrunk": f"{b.get('shrunk_trials', 0)} / {a.get('shrunk_trials', 0)}"})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--system", default="automl")
    args = parser.parse_args()
    before, after = _runs(args.before, args.system), _runs(args.after, args.system)
    table = compare(before, after)
    print(markdown(table.round(4)))
    both = before.index.intersection(after.index)
    share = {name: float(np.mean(runs.loc[both, "timed_out_s"] / runs.loc[both, "budget_s"]))
             for name, runs in (("before", before), ("after", after))}
    over = {name: int(np.sum(runs.loc[both, "timed_out_s"] > 0.1 * runs.loc[both, "budget_s"]))
            for name, runs in (("before", before), ("after", after))}
    print(f"\n{len(table)} datasets: after better on {sum(table.beyond == 'better')}, worse on "
          f"{sum(table.beyond == 'worse')} (beyond the tolerance); median trials {before.loc[both, 'trials'].median():.0f}"
          f" / {after.loc[both, 'trials'].median():.0f}; budget timed out {share['before']:.1%} / {share['after']:.1%} "
          f"on average, over 10 % on {over['before']} / {over['after']} runs.")


if __name__ == "__main__":
    main()
