"""Which final selection generalises best? Every method on the same trials, scored on test rows. Prints the tables.

For each dataset (its 75/25 split, ``--seed``): one automl search (``--budget`` seconds, the single best
kept, so the whole budget searches) holds the out-of-fold predictions of its best 50 trials. Each
selection method below picks weights from those predictions alone; every trial any method picks is
refit once on all training rows and predicts the test rows; each method's weighted test predictions
are scored. Same trials and the same refits for every method: the differences are the methods'.
``single_bag`` and ``greedy_cost3_bag`` are ``single`` and ``greedy_cost3`` with each member not refit on all
rows but its 5 fold models averaged (bagged, as AutoGluon's final models are): is a bag of models on
four fifths of the rows better than one model on all of them?

    python benchmarks/selection_methods.py ../shared/datasets/manifest.csv --out bench-out/selection --jobs 2

Datasets already in OUT/runs.jsonl are kept, so the script can be stopped and restarted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from automl.bench.runner import run_in_pieces
from automl.bench.tables import TIE, _higher_is_better, markdown
from automl.ensemble import select_weights
from automl.manifest import load_datasets
from automl.run.estimate import estimate_selection

DATASETS = ("credit_approval", "diabetes_pima", "churn_mlc", "phoneme", "kc1", "ionosphere",
            "vowel", "segment", "satimage", "cmc", "glass", "wvs_poverty",
            "abalone", "concrete", "ames_housing", "bikeshare", "house_prices_windsor")
ROUNDS = 50


def _greedy(library: int | None = None, above_baseline: bool = False, init: int = 0, cost_ratio: float | None = None,
            cost_floor: float = 0.0):
    def method(oof, order, y, metric, baseline, costs):
        ids = order[:library] if library else order
        if above_baseline:
            ids = [i for i in ids if metric.loss(y, oof[i]) < baseline] or ids[:1]
        if not init:
            if cost_ratio is not None:
                return select_weights(oof, ids, y, metric, ROUNDS, costs=costs, cost_ratio=cost_ratio, cost_floor=cost_floor)
            return select_weights(oof, ids, y, metric, ROUNDS)
        counts = Counter({i: 1 for i in ids[:init]})  # sorted initialisation: the best few, then greedy
        total = sum(oof[i] for i in counts)
        for size in range(len(counts) + 1, ROUNDS + 1):
            losses = [metric.loss(y, (total + oof[i]) / size) for i in ids]
            pick = ids[int(np.argmin(losses))]
            counts[pick] += 1
            total = total + oof[pick]
        return {i: c / sum(counts.values()) for i, c in counts.items()}
    return method


def _bagged(bags: int = 20, share: float = 0.5, library: int | None = None):
    def method(oof, order, y, metric, baseline, costs):
        ids = order[:library] if library else order
        rng = np.random.default_rng(0)
        total: Counter = Counter()
        for _ in range(bags):
            half = sorted(rng.choice(len(ids), size=max(1, round(share * len(ids))), replace=False))
            total.update(select_weights(oof, [ids[k] for k in half], y, metric, ROUNDS))
        return {i: w / bags for i, w in total.items()}
    return method


NESTED_LOSSES: dict[str, float] = {}  # the last nested_choice's two nested losses (one dataset a process)


def _nested_choice(margin: float = 0.0):
    """today's ensemble (greedy_cost3) unless the single best's selection scores better nested out of fold
    (by more than ``margin`` in the metric's loss): the choice between the two procedures made on rows neither
    chose on (``automl.run.estimate``: 5 random groups; the fit uses its validation folds)."""
    def method(oof, order, y, metric, baseline, costs):
        ensemble = select_weights(oof, order, y, metric, ROUNDS, costs=costs, cost_ratio=3.0)
        if len(ensemble) < 2:
            return ensemble
        nested = {r: estimate_selection(order, oof, y, metric, rounds=r, seed=0, costs=costs) for r in (ROUNDS, 0)}
        if nested[0] is None or nested[ROUNDS] is None:
            return ensemble
        single, combined = (metric.optimum - nested[r].value if metric.greater_is_better
                            else nested[r].value - metric.optimum for r in (0, ROUNDS))
        NESTED_LOSSES.update(single=single, ensemble=combined)  # recorded with the dataset's result
        return {order[0]: 1.0} if single < combined - margin else ensemble
    return method


METHODS = {
    "single": lambda oof, order, y, metric, baseline, costs: {order[0]: 1.0},
    "greedy_50": _greedy(),                       # the default today: Caruana over the best 50, 50 rounds
    "greedy_10": _greedy(library=10),             # the library capped to the best 10
    "greedy_above_baseline": _greedy(above_baseline=True),  # members better than the constant predictor only
    "greedy_init3": _greedy(init=3),              # sorted initialisation with the best 3
    "bagged_20x50%": _bagged(),                   # Caruana 2006: selection over random halves, averaged
    "bagged_10_20x50%": _bagged(library=10),
    "greedy_cost3": _greedy(cost_ratio=3.0),      # new members only while the summed predict cost is <= 3x the first's
    "greedy_cost2": _greedy(cost_ratio=2.0),
    "greedy_cost3_floor1": _greedy(cost_ratio=3.0, cost_floor=1.0),  # ... or while the sum is under 1 s
    "nested_choice": _nested_choice(),  # greedy_cost3, or the single best where its nested score is better
}
BAGGED = {"single_bag": "single", "greedy_cost3_bag": "greedy_cost3"}  # the same weights, fold models averaged
NAMES = (*METHODS, "greedy_cost3_measured", *BAGGED)  # greedy_cost3_measured: its members chosen again by measured cost


def run_dataset(spec: dict) -> dict:
    """One dataset: the search, every method's weights, the refits, the test scores."""
    from automl import AutoClassifier, AutoRegressor
    from automl.bench.systems import split
    from automl.data import prepare_features
    from automl.fitting import data_space
    from automl.metrics import get_metric
    from automl.space.pipeline import build_pipeline
    from automl.trials.evaluation import TrialData, baseline_loss, predict
    from automl.trials.resampling import Resampling, make_folds

    warnings.simplefilter("ignore")
    X_train, X_test, y_train, y_test = split(Path(spec["path"]), spec["target"], spec["task"], spec.get("seed", 0))
    cls = AutoRegressor if spec["task"] == "regression" else AutoClassifier
    with tempfile.TemporaryDirectory() as run_dir:
        options = {"metabase": spec["metabase"]} if spec.get("metabase") else {}
        model = cls(time_budget=spec["budget"], seed=0, ensemble_size=0, run_dir=run_dir, **options).fit(X_train, y_train)
    from automl.data import prepare_training

    data = prepare_training(X_train, y_train, model._task_for)
    metric = get_metric(model.metric_, data.task)
    folds = make_folds(Resampling("cv", 5), data.y, classification=data.classes is not None, seed=0)
    space = data_space(data, folds, include=None, exclude=None, search_space_dir=None)
    oof = {i: np.asarray(p, dtype=np.float64) for i, p in model.oof_predictions_.items()}
    by_id = {t.trial_id: t for t in model.trials_}
    order = [i for i in sorted(oof, key=lambda i: (by_id[i].loss, i))]
    rows = np.isfinite(np.stack([oof[i] for i in order]).reshape(len(order), len(data.y), -1)).all(axis=(0, 2))
    oof = {i: p[rows] for i, p in oof.items()}
    y_valid = data.y[rows]
    baseline = baseline_loss(TrialData(data.X, data.y, data.schema, data.task, data.n_classes, folds, metric, 0))
    costs = {i: by_id[i].predict_seconds for i in order}
    NESTED_LOSSES.clear()
    weights = {name: method(oof, order, y_valid, metric, baseline, costs) for name, method in METHODS.items()}
    needed = sorted({i for w in weights.values() for i in w})
    features, test_features = data.X, prepare_features(X_test, data.schema)
    n_classes = None if data.task == "regression" else data.n_classes
    test_predictions, test_seconds, pipelines = {}, {}, {}
    for i in needed:
        pipeline = pipelines[i] = build_pipeline(space.to_steps(by_id[i].config), data.schema, seed=0).fit(features,
                                                                                                          data.y)
        times = []
        for _ in range(3):  # the median of three: the machine is shared
            start = time.perf_counter()
            test_predictions[i] = predict(pipeline, test_features, n_classes)
            times.append(time.perf_counter() - start)
        test_seconds[i] = float(np.median(times))
    # the fit's own two stages: greedy_cost3 on the validation costs, then again over its members alone, with
    # each refit member's measured time to predict (up to) 1,000 training rows
    sample = features.iloc[:1000]
    measured = {}
    for i in weights["greedy_cost3"]:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            predict(pipelines[i], sample, n_classes)
            times.append(time.perf_counter() - start)
        measured[i] = float(np.median(times))
    members = [i for i in order if i in weights["greedy_cost3"]]
    weights["greedy_cost3_measured"] = select_weights({i: oof[i] for i in members}, members, y_valid, metric, ROUNDS,
                                                      costs=measured, cost_ratio=3.0)
    if data.classes is not None:
        codes = {c: k for k, c in enumerate(data.classes)}
        y_true = np.array([codes.get(v, -1) for v in np.asarray(y_test)])
        keep = y_true >= 0
    else:
        y_true, keep = np.asarray(y_test, dtype=float), np.ones(len(y_test), dtype=bool)
    scores = {name: metric.score(y_true[keep], sum(v * test_predictions[i] for i, v in w.items())[keep])
              for name, w in weights.items()}
    bagged = {i: _fold_bag(space.to_steps(by_id[i].config), data, folds, test_features, n_classes)
              for i in {i for name in BAGGED.values() for i in weights[name]}}
    for name, of in BAGGED.items():
        scores[name] = metric.score(y_true[keep], sum(v * bagged[i] for i, v in weights[of].items())[keep])
        weights[name] = weights[of]
    return {"dataset": spec["name"], "task": spec["task"], "metric": metric.name, "trials": model.n_trials_,
            "candidates": len(order), "scores": scores, "nested_losses": dict(NESTED_LOSSES), "members": {n: len(w) for n, w in weights.items()},
            "predict_seconds": {n: sum(test_seconds[i] for i in w) * (len(folds) if n in BAGGED else 1)  # about
                                for n, w in weights.items()}}


def _fold_bag(steps, data, folds, test_features, n_classes) -> np.ndarray:
    """The mean test prediction of the configuration's models fit on each fold's training rows."""
    from automl.space.pipeline import build_pipeline
    from automl.trials.evaluation import predict

    total = 0.0
    for train, _ in folds:
        y_train, codes = data.y[train], None
        if n_classes is not None:  # a fold may lack a class: consecutive codes, mapped back
            codes, y_train = np.unique(y_train, return_inverse=True)
        model = build_pipeline(steps, data.schema, seed=0).fit(data.X.iloc[train], y_train)
        total = total + predict(model, test_features, n_classes, codes)
    return total / len(folds)


def tables(results: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per dataset the test score of each method; per method its mean rank and its wins, ties and
    losses against the single best (ties within the bench's TIE)."""
    rows, ranks = [], []
    for result in results:
        higher = _higher_is_better(result["metric"], result["task"])
        scores = pd.Series(result["scores"])
        rows.append({"dataset": result["dataset"], "metric": result["metric"], "trials": result["trials"], **scores})
        ranks.append((-scores if higher else scores).rank(method="average"))
        sign = 1.0 if higher else -1.0
        for name in scores.index:
            diff = sign * (scores[name] - scores["single"])
            rows[-1][f"{name}_vs_single"] = "tie" if abs(diff) <= TIE else ("win" if diff > 0 else "loss")
    table = pd.DataFrame(rows)
    rank = pd.DataFrame(ranks).mean()
    summary = pd.DataFrame([{"method": name, "mean_rank": rank[name],
                             "wins": int((table[f"{name}_vs_single"] == "win").sum()),
                             "ties": int((table[f"{name}_vs_single"] == "tie").sum()),
                             "losses": int((table[f"{name}_vs_single"] == "loss").sum()),
                             "mean_members": np.mean([r["members"][name] for r in results]),
                             "median_predict_x_single": np.median(
                                 [r["predict_seconds"][name] / r["predict_seconds"]["single"]
                                  for r in results if name in r["predict_seconds"]])}
                            for name in NAMES if all(name in r["scores"] for r in results)])
    return table, summary.sort_values("mean_rank")


def head_to_head(results: list[dict], pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Per pair (A, B): A's wins and losses against B (a tie within the bench's relative TIE) and A's mean gain
    per metric, in the metric's better direction (RMSE's in percent of B's)."""
    rows = []
    for a, b in pairs:
        gains: dict[str, list[float]] = {}
        wins = losses = 0
        for result in results:
            scores, metric = result["scores"], result["metric"]
            if a not in scores or b not in scores:
                continue
            gain = (scores[a] - scores[b]) * (1.0 if _higher_is_better(metric, result["task"]) else -1.0)
            wins += gain > TIE * abs(scores[b])
            losses += gain < -TIE * abs(scores[b])
            gains.setdefault(metric, []).append(gain / abs(scores[b]) * 100 if metric == "rmse" else gain)
        rows.append({"pair": f"{a} vs {b}", "wins": wins, "losses": losses,
                     **{f"mean_gain_{m}" + ("_pct" if m == "rmse" else ""): round(float(np.mean(v)), 4)
                        for m, v in sorted(gains.items())}})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", default=",".join(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("bench-out/selection"))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0, help="the split's seed")
    parser.add_argument("--versus", default="greedy_cost3_bag:greedy_cost3,greedy_50:greedy_cost3",
                        help="pairs A:B of methods compared dataset by dataset")
    parser.add_argument("--metabases", type=Path, help="a folder of without-DATASET.json.gz (automl bench's "
                        "OUT/metabases): each search warm-starts from the metabase without its own dataset")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    specs = [{"name": d.name, "path": str(d.file), "target": d.target, "task": d.task, "budget": args.budget, "seed": args.seed,
              "metabase": str(args.metabases / f"without-{d.name}.json.gz") if args.metabases else None}
             for d in load_datasets(args.manifest, None, tuple(args.only.split(",")))]
    results = run_in_pieces(args.out / "runs.jsonl", run_dataset, specs, args.jobs,
                            lambda result: print(f"{result['dataset']}: " + ", ".join(f"{k} {v:.4f}" for k, v in result["scores"].items()), flush=True))
    table, summary = tables(results)
    print(markdown(table[["dataset", "metric", "trials", *[n for n in NAMES if n in table]]].round(4)))
    print()
    print(markdown(summary.round(3)))
    print()
    print(markdown(head_to_head(results, [tuple(pair.split(":")) for pair in args.versus.split(",") if pair])))


if __name__ == "__main__":
    main()
