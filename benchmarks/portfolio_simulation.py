"""Which warm start finds a good configuration soonest? A leave-one-dataset-out replay; prints a table.

No model is fitted: every pool configuration was evaluated on every dataset when the metabase
was built, so a warm start can be replayed on each dataset from the stored losses and fit
seconds. For each dataset, the warm-start list is computed from the other datasets
(``Metabase.without``), then walked in order; the table gives the mean normalised regret of the
best configuration seen (0: the pool's best on that dataset, 1: its worst) after the first k
configurations and after s seconds of fitting, and the cold start's defaults (the space's
initial design order) beside them.

    python benchmarks/portfolio_simulation.py [METABASE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from automl.bench.tables import markdown
from automl.metalearning.metabase import load_metabase, shipped_path, task_kind
from automl.metalearning.warmstart import regret_matrix, warm_start_configs

STEPS = (1, 3, 5, 10)
SECONDS = (2.0, 5.0, 10.0, 20.0)


def replay(order: list[int], regret: np.ndarray, seconds: list[float | None]) -> dict[str, float]:
    """Best regret after the first k configurations of ``order`` and after s seconds of their fits."""
    best, spent, result = 1.0, 0.0, {}
    by_time = {s: 1.0 for s in SECONDS}
    for k, i in enumerate(order, start=1):
        spent += seconds[i] if seconds[i] is not None else 10.0
        best = min(best, regret[i])
        for s in SECONDS:
            if spent <= s:
                by_time[s] = best
        if k in STEPS:
            result[f"after_{k}"] = best
    for k in STEPS:
        result.setdefault(f"after_{k}", best)
    result.update({f"at_{s:g}s": v for s, v in by_time.items()})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metabase", type=Path, nargs="?", default=shipped_path())
    metabase = load_metabase(parser.parse_args().metabase)
    rows = []
    for entry in metabase.datasets:
        kind = task_kind(entry.task)
        pool = metabase.pools[kind]
        regret = regret_matrix([entry])[0]
        seconds = entry.seconds or [None] * len(pool)
        rest = metabase.without(entry.name)
        index = {repr(sorted(c.items())): i for i, c in enumerate(pool)}
        for mode in ("portfolio", "knn", "both"):
            design = warm_start_configs(mode, entry.task, entry.metafeatures, rest)
            order = [index[repr(sorted(c.items()))] for c, _ in design]
            rows.append({"dataset": entry.name, "mode": mode, **replay(order, regret, seconds)})
        defaults = [i for i, origin in enumerate(metabase.pool_origins[kind]) if origin == "default"]
        rows.append({"dataset": entry.name, "mode": "defaults (cold)", **replay(defaults, regret, seconds)})
    table = pd.DataFrame(rows).groupby("mode", sort=False).mean(numeric_only=True).reset_index()
    print(f"Mean best normalised regret over {len(metabase.datasets)} datasets (leave-one-dataset-out; lower is better)")
    print(markdown(table))


if __name__ == "__main__":
    main()
