"""Which way of scoring the nested selection estimates the final model's test ROC AUC best?

For each small binary dataset of the manifest: the bench's 75/25 split (seed 0), one automl fit
(``--budget`` seconds), the saved model's test AUC, and the nested out-of-fold estimate of its
selection recomputed from the fit's own out-of-fold predictions in two ways:

* ``pooled``: AUC over all rows, each outer group's rows predicted by the choice made without them;
* ``per_group``: the mean of each outer group's own AUC, since each group is predicted by its own
  choice; the groups drawn at random, as ``automl.run.estimate`` did before it took the trials' own
  validation folds as the groups.

Also printed: the estimate the fit reported (``reported``: per group, the groups being the validation
folds where there are several) and the best trial's validation score. The recomputation
estimates the selection over all candidates unless a saved member is not among them; where the fit
passed over a member it could not refit in time, it estimated the saved members alone, so
``reported`` and ``per_group`` may differ there (hepatitis, in the committed run). Error = value -
test AUC (negative: pessimistic). One JSON line per dataset in OUT/runs.jsonl; rerunning skips the
datasets already there. Compare with benchmarks/cv_pessimism.py: a fixed model's pooled 5-fold AUC
is itself about 0.016 below the test AUC on this split.

    python benchmarks/estimate_methods.py ../shared/datasets/manifest.csv --out bench-out/estimate-methods
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from automl import AutoClassifier
from automl.bench.systems import split
from automl.bench.tables import markdown
from automl.metrics import get_metric
from automl.records import ranked
from automl.run.estimate import estimate_selection
from automl.run.final import beats_constant

CONSTANT_AUC_LOSS = 0.5  # a constant predictor's AUC is 0.5: its loss


def one_dataset(path: Path, target: str, budget: float, run_dir: Path) -> dict[str, float]:
    """Fit, score on the test rows, and recompute the nested estimate both ways."""
    X_train, X_test, y_train, y_test = split(path, target, "binary", 0)
    model = AutoClassifier(time_budget=budget, seed=0, run_dir=str(run_dir), verbose=0).fit(X_train, y_train)
    auc = get_metric("roc_auc", "binary")
    test = auc.score(np.searchsorted(model.classes_, np.asarray(y_test)), model.predict_proba(X_test))
    y = np.searchsorted(model.classes_, np.asarray(y_train))
    candidates = beats_constant(model.trials_, model.oof_predictions_, CONSTANT_AUC_LOSS)
    ids = [t.trial_id for t in ranked(model.trials_)]
    costs = {t.trial_id: t.predict_seconds for t in model.trials_}
    chosen = set(model.ensemble_weights_)
    kept = None if chosen <= set(candidates) else chosen  # the saved model is estimated as saved (fitting.py)

    def nested(metric) -> float | None:
        among = candidates if kept is None else {i: model.oof_predictions_[i] for i in kept}
        rounds = model.ensemble_size if kept is None or len(kept) > 1 else 0
        estimate = estimate_selection(ids, among, y, metric, rounds=rounds, seed=0, costs=costs)
        return None if estimate is None else estimate.value

    reported = model.estimated_score_
    return {"rows": len(y_train), "trials": model.n_trials_, "members": len(chosen), "test": test,
            "reported": None if reported is None else reported.value, "best_validation": model.best_score_,
            "pooled": nested(dataclasses.replace(auc, ranks=False)), "per_group": nested(auc)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=30.0, help="Seconds of each fit.")
    parser.add_argument("--max-rows", type=int, default=3000, help="Binary datasets up to this many rows.")
    args = parser.parse_args()
    manifest = pd.read_csv(args.manifest)
    chosen = manifest[(manifest.task == "binary") & (manifest.n_rows <= args.max_rows)]
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "runs.jsonl"
    done = {json.loads(line)["dataset"] for line in log.read_text().splitlines()} if log.exists() else set()
    for _, dataset in chosen.iterrows():
        if dataset["name"] in done:
            continue
        run_dir = args.out / "runs" / dataset["name"]
        row = {"dataset": dataset["name"], "budget_s": args.budget,
               **one_dataset(args.manifest.parent / dataset.file, dataset.target, args.budget, run_dir)}
        with log.open("a") as sink:
            sink.write(json.dumps(row) + "\n")
        print(dataset["name"], {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    runs = pd.DataFrame([json.loads(line) for line in log.read_text().splitlines()])
    methods = ["reported", "pooled", "per_group", "best_validation"]
    for name in methods:
        runs[f"{name}_error"] = runs[name] - runs["test"]
    print(f"\n## Error against the test AUC ({len(runs)} datasets, {args.budget:.0f} s fits)\n")
    print(markdown(runs[["dataset", "rows", "trials", "members", "test", *[f"{m}_error" for m in methods]]]))
    summary = pd.DataFrame({"method": methods, "mean_error": [runs[f"{m}_error"].mean() for m in methods],
                            "mean_abs_error": [runs[f"{m}_error"].abs().mean() for m in methods]})
    print("\n" + markdown(summary))


if __name__ == "__main__":
    main()
