"""How well does the search predict a trial's seconds before it runs, and how much budget do time-outs take?

For each dataset (its 75/25 split, seed 0): one automl fit of ``--budget`` seconds. Then every trial
that ran is predicted again from the trials before it alone, exactly as the search predicted it
(``automl.search.cost``), and compared with the seconds it took. Prints, per dataset and overall,
the trials, the skipped ones, the share of the budget spent on trials stopped at their time limit,
and the prediction error (median and 90th percentile of |log2(predicted / actual)|: 1 is a factor
of two) by what the prediction rested on (this run's trials of the family, or the metabase).

    python benchmarks/cost_model.py ../shared/datasets/manifest.csv --out bench-out/cost --jobs 2

Datasets already in OUT/runs.jsonl are kept, so the script can be stopped and restarted.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from automl.bench.runner import run_in_pieces
from automl.bench.tables import markdown
from automl.manifest import load_datasets

DATASETS = ("dna", "sylva", "fruit", "letter", "pendigits", "satimage", "texture", "magic_telescope", "titanic",
            "credit_approval", "car_choice", "ames_housing", "gss_wages", "movies_rating")


def run_dataset(spec: dict) -> dict:
    """One dataset: the fit, then each trial's prediction from the trials before it."""
    from automl import AutoClassifier, AutoRegressor
    from automl.bench.systems import split
    from automl.data import prepare_training
    from automl.fitting import data_space
    from automl.search.cost import build_cost_model
    from automl.trials.resampling import choose_resampling, make_folds

    warnings.simplefilter("ignore")
    X_train, _, y_train, _ = split(Path(spec["path"]), spec["target"], spec["task"], 0)
    cls = AutoRegressor if spec["task"] == "regression" else AutoClassifier
    with tempfile.TemporaryDirectory() as run_dir:
        model = cls(time_budget=spec["budget"], seed=0, run_dir=run_dir).fit(X_train, y_train)
    data = prepare_training(X_train, y_train, model._task_for)
    resampling = choose_resampling(len(data.X), data.X.shape[1], spec["budget"])
    folds = make_folds(resampling, data.y, classification=data.classes is not None, seed=0)
    space = data_space(data, folds, include=None, exclude=None, search_space_dir=None)
    cost = build_cost_model(space.components, data.task, folds, len(data.schema.columns), data.n_classes, None,
                            space.project, data.category_levels)
    trials = sorted(model.trials_, key=lambda t: t.trial_id)
    predictions = []
    for k, trial in enumerate(trials):
        if trial.status.value not in ("ok", "timeout"):
            continue
        predicted = cost.predict(trial.config, trial.fraction, trials[:k])
        if predicted is not None:
            predictions.append({"model": trial.config["model"], "basis": predicted[1], "predicted": predicted[0],
                                "actual": trial.finished_s - trial.started_s, "status": trial.status.value})
    timed_out = sum(t.finished_s - t.started_s for t in trials if t.status.value == "timeout")
    return {"dataset": spec["name"], "task": spec["task"], "rows": len(data.X), "columns": data.X.shape[1],
            "trials": len(trials), "skipped": sum(t.status.value == "skipped" for t in trials),
            "timeouts": sum(t.status.value == "timeout" for t in trials), "timed_out_s": timed_out,
            "budget": spec["budget"], "predictions": predictions}


def _errors(predictions: list[dict], basis: str) -> tuple[int, float, float]:
    errors = [abs(np.log2(p["predicted"] / p["actual"])) for p in predictions
              if p["basis"] == basis and p["actual"] > 0 and p["predicted"] > 0]
    if not errors:
        return 0, float("nan"), float("nan")
    return len(errors), float(np.median(errors)), float(np.percentile(errors, 90))


def table(results: list[dict]) -> pd.DataFrame:
    """Per dataset and overall: trials, skips, time-outs and their share of the budget, prediction errors."""
    rows = []
    for r in [*results, None]:
        chosen = results if r is None else [r]
        predictions = [p for c in chosen for p in c["predictions"]]
        own, meta = _errors(predictions, "this run"), _errors(predictions, "metabase")
        rows.append({
            "dataset": "all" if r is None else r["dataset"],
            "shape": "" if r is None else f"{r['rows']} x {r['columns']}",
            "trials": sum(c["trials"] for c in chosen), "skipped": sum(c["skipped"] for c in chosen),
            "timeouts": sum(c["timeouts"] for c in chosen),
            "timed_out_share": (max(c["timed_out_s"] / c["budget"] for c in chosen)),  # the worst run
            "n_own": own[0], "own_median_log2": own[1], "own_p90_log2": own[2],
            "n_metabase": meta[0], "metabase_median_log2": meta[1], "metabase_p90_log2": meta[2]})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("bench-out/cost"))
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    specs = [{"name": d.name, "path": str(d.file), "target": d.target, "task": d.task, "budget": args.budget}
             for d in load_datasets(args.manifest, None, tuple(args.only.split(",")))]
    results = run_in_pieces(args.out / "runs.jsonl", run_dataset, specs, args.jobs,
                            lambda result: print(f"{result['dataset']}: {result['trials']} trials, {result['timeouts']} "
                                                 f"timed out ({result['timed_out_s']:.0f} s), {result['skipped']} skipped",
                                                 flush=True))
    print(markdown(table(results).round(3)))


if __name__ == "__main__":
    main()
