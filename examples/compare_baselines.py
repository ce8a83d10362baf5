"""automl (SMAC) next to random search over the same space and LightGBM defaults, on held-out data.

Each dataset is split once, 75/25 (stratified for classification, seed 0). Every finished run is
appended to a JSON-lines file, so an interrupted comparison resumes where it stopped.

    python examples/compare_baselines.py MANIFEST.csv --names credit_approval,phoneme --time 60 \
        --out compare.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder

from automl import AutoClassifier, AutoRegressor
from automl.bounds import DataShape
from automl.data import infer_schema, prepare_features
from automl.evaluation import predict
from automl.metrics import get_metric
from automl.pipeline import build_pipeline
from automl.space import build_space


def split(frame: pd.DataFrame, target: str, task: str, seed: int = 0):
    frame = frame.dropna(subset=[target])
    y = frame[target]
    X = frame.drop(columns=[target])
    stratify = y if task != "regression" and y.value_counts().min() >= 2 else None
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=stratify)


def lightgbm_defaults(X_train, y_train, X_test, task):
    """LightGBM with its default parameters behind the same column handling automl uses."""
    start = time.monotonic()
    schema = infer_schema(X_train)
    Xtr, Xte = prepare_features(X_train, schema), prepare_features(X_test, schema)
    space = build_space(task, DataShape(len(Xtr), len(Xtr), Xtr.shape[1], 2), has_categorical=bool(schema.categorical),
                        include=("lightgbm", "ordinal", "simple_imputer", "no_scaling", "no_preprocessing"))
    if task == "regression":
        pipeline = build_pipeline(space.to_steps(space.default_configs()[0]), schema, seed=0).fit(Xtr, y_train)
        return predict(pipeline, Xte, None), time.monotonic() - start, {}
    encoder = LabelEncoder().fit(y_train)
    pipeline = build_pipeline(space.to_steps(space.default_configs()[0]), schema, seed=0)
    pipeline.fit(Xtr, encoder.transform(y_train))
    return predict(pipeline, Xte, len(encoder.classes_)), time.monotonic() - start, {}


def run_automl(X_train, y_train, X_test, task, search, budget):
    cls = AutoRegressor if task == "regression" else AutoClassifier
    start = time.monotonic()
    model = cls(time_budget=budget, search=search, seed=0).fit(X_train, y_train)
    wall = time.monotonic() - start
    pred = model.predict(X_test) if task == "regression" else model.predict_proba(X_test)
    extra = {"trials": model.n_trials_, "failed": int((model.leaderboard_["status"] == "failed").sum()),
             "optimizer_share": model.optimizer_share_, "best_model": model.best_config_["model"] if model.best_config_ else None}
    return pred, wall, extra


def score(task, y_train, y_test, pred):
    metric = get_metric(None, task)
    if task == "regression":
        return metric.name, metric.score(y_test.to_numpy(dtype=float), pred)
    classes = np.unique(y_train)
    known = np.isin(y_test, classes)
    y_true = np.searchsorted(classes, y_test[known])
    return metric.name, metric.score(y_true, pred[known])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--names", required=True, help="comma-separated dataset names from the manifest")
    parser.add_argument("--time", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("compare.jsonl"))
    args = parser.parse_args()

    manifest = pd.read_csv(args.manifest).set_index("name")
    done = set()
    if args.out.exists():
        done = {(r["dataset"], r["system"]) for r in map(json.loads, args.out.read_text().splitlines())}
    systems = {"lgbm_default": None, "automl": "smac", "random": "random"}
    for name in args.names.split(","):
        row = manifest.loc[name]
        frame = pd.read_csv(args.manifest.parent / row["file"])
        X_train, X_test, y_train, y_test = split(frame, row["target"], row["task"])
        for system, search in systems.items():
            if (name, system) in done:
                continue
            if search is None:
                pred, wall, extra = lightgbm_defaults(X_train, y_train, X_test, row["task"])
            else:
                pred, wall, extra = run_automl(X_train, y_train, X_test, row["task"], search, args.time)
            metric, value = score(row["task"], y_train, y_test, pred)
            record = {"dataset": name, "task": row["task"], "rows": int(row["n_rows"]), "system": system,
                      "metric": metric, "test_score": float(value), "wall_s": round(wall, 2), "budget_s": args.time,
                      **extra}
            with args.out.open("a") as sink:
                sink.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)
    print_table(args.out)


def print_table(path: Path) -> None:
    """One row per dataset: the three systems' test scores, wall times, trials and optimizer share."""
    records = pd.DataFrame([json.loads(line) for line in path.read_text().splitlines()])
    wide = records.pivot_table(index=["dataset", "task", "rows", "metric"], columns="system",
                               values="test_score", aggfunc="first")
    walls = records.pivot_table(index="dataset", columns="system", values="wall_s", aggfunc="first")
    table = wide.reset_index().set_index("dataset")
    for system in ("automl", "random"):
        if system in walls:
            table[f"{system}_wall_s"] = walls[system]
            sub = records[records.system == system].set_index("dataset")
            table[f"{system}_trials"] = sub["trials"]
            table[f"{system}_opt_%"] = (100 * sub["optimizer_share"]).round(1)
    print(markdown(table.reset_index()))


def markdown(frame: pd.DataFrame) -> str:
    def cell(column: str, value) -> str:
        if isinstance(value, float) and (column.endswith("_trials") or column.endswith("_s") or column.endswith("_%")):
            return f"{value:.1f}" if not column.endswith("_trials") else f"{value:.0f}"
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    cells = [[cell(c, v) for c, v in zip(frame.columns, row)] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


if __name__ == "__main__":
    main()
