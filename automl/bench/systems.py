"""One benchmark run: one system on one dataset split, in its own process.

``automl bench`` starts ``main`` once per (dataset, system, seed) with a JSON spec on stdin and
reads one JSON result from stdout, so a crash or hang of one run is recorded, never fatal.
Every system sees the same 75/25 split (stratified for classification) for a given seed.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import train_test_split

SYSTEMS = ("automl", "automl_cv", "automl_cold", "automl_single", "automl_single_2jobs", "smac_search", "random_search", "random",
           "lgbm_default", "xgb_default", "catboost_default", "rf_default", "logreg", "dummy")
SECONDARY = {"binary": ("roc_auc", "log_loss", "accuracy"), "multiclass": ("log_loss", "accuracy", "balanced_accuracy"),
             "regression": ("rmse", "mae", "r2")}
_AUTOML = {  # system -> the AutoClassifier/AutoRegressor options that make it
    "automl": {}, "automl_cold": {"warm_start": "none"},
    "automl_cv": {"resampling": "cv"},  # one k-fold plan, never repeated: the yardstick of the repeated rule
    "automl_single": {"ensemble_size": 0},
    "automl_single_2jobs": {"ensemble_size": 0, "n_jobs": 2},
    "random": {"search": "random"},
    # the optimizer alone (no warm start, no ensemble): SMAC against random search over the same space
    "smac_search": {"warm_start": "none", "ensemble_size": 0},
    "random_search": {"search": "random", "warm_start": "none", "ensemble_size": 0},
}
AUTOML_SYSTEMS = tuple(_AUTOML)
_FIXED = {  # baseline -> (model family for classification, for regression, preprocessing it needs)
    "lgbm_default": ("lightgbm", "lightgbm", ("ordinal", "no_scaling")),
    "xgb_default": ("xgboost", "xgboost", ("ordinal", "no_scaling")),
    # the defaults of search_spaces/catboost.yaml: 300 trees at rate 0.1 (CatBoost's own: 1,000 at an automatic rate)
    "catboost_default": ("catboost", "catboost", ("ordinal", "no_scaling")),
    "rf_default": ("random_forest", "random_forest", ("ordinal", "no_scaling")),
    "logreg": ("logistic_regression", "ridge", ("onehot", "standard")),
}


def split(path: Path, target: str, task: str, seed: int):
    """The seed's 75/25 split of a dataset; rows with a missing target are dropped first."""
    from automl.data import read_table
    from automl.trials.resources import release_freed_memory

    frame = read_table(path)
    if frame[target].isna().any():
        frame = frame.dropna(subset=[target])
    y = frame.pop(target)  # one copy of the table at a time: a million rows are hundreds of MB
    stratify = y if task != "regression" and y.value_counts().min() >= 2 else None
    parts = train_test_split(frame, y, test_size=0.25, random_state=seed, stratify=stratify)
    del frame
    release_freed_memory()
    return parts


def fit_system(system: str, task: str, X_train, y_train, *, budget: float, seed: int, metric: str | None,
               options: dict | None = None):
    """Fit one system; return a predict function giving probabilities (classification) or values.

    ``options`` are further estimator parameters of an automl system (a metabase, say)."""
    from automl import AutoClassifier, AutoRegressor

    if system in _AUTOML:
        cls = AutoRegressor if task == "regression" else AutoClassifier
        with tempfile.TemporaryDirectory(prefix="automl-bench-") as run_dir:
            model = cls(time_budget=budget, seed=seed, metric=metric, run_dir=run_dir, **{**_AUTOML[system], **(options or {})})
            started = time.monotonic()
            model.fit(X_train, y_train)
            fit_wall = time.monotonic() - started
        statuses = model.leaderboard_["status"]
        extra = {"trials": model.n_trials_, "failed_trials": int((statuses != "ok").sum()),
                 "skipped_trials": int((statuses == "skipped").sum()),  # predicted too slow or too big: never run
                 "shrunk_trials": sum(t.origin.endswith(", shrunk") for t in model.trials_),  # ... run smaller
                 # seconds of the budget spent on trials stopped at their time limit
                 "timed_out_s": round(sum(t.finished_s - t.started_s for t in model.trials_ if t.status.value == "timeout"), 2),
                 "time_outs": [[t.config["model"], t.origin, t.started_s, round(t.finished_s - t.started_s, 2), t.error]
                               for t in model.trials_ if t.status.value == "timeout"],  # which, where and why
                 "fit_wall_s": round(fit_wall, 2), "run_dir_mb": round(model.run_dir_bytes_ / 2**20, 1),
                 "optimizer_share": round(model.optimizer_share_, 4), "ensemble_members": len(model.ensemble_weights_),
                 "best_model": model.best_config_["model"] if model.best_config_ else None,
                 "refit_fraction": round(model.refit_fraction_, 3),  # below 1: the best refit on a share of the rows
                 "resampling": model.resampling_,  # the search's validation: (finished s, loss or None) per trial
                 "trace": [[t.finished_s, t.loss] for t in model.trials_],
                 "search_s": round(model.search_seconds_, 2),  # the search alone, and the part of it trials ran
                 "trial_s": round(sum(t.finished_s - t.started_s for t in model.trials_ if t.finished_s), 2),
                 # the final model's nested out-of-fold estimate, and the best trial's validation score (what
                 # the CLI printed before the estimate): each against test_score in benchmarks/estimate_error.py
                 "estimated_score": model.estimated_score_.value if model.estimated_score_ else None,
                 "estimate_step": model.estimated_score_.step if model.estimated_score_ else None,  # in it
                 "best_validation_score": model.best_score_}
        return (model.predict if task == "regression" else model.predict_proba), extra
    if system == "dummy":
        model = DummyRegressor() if task == "regression" else DummyClassifier(strategy="prior")
        model.fit(np.zeros((len(y_train), 1)), y_train)
        zeros = lambda X: np.zeros((len(X), 1))  # noqa: E731
        return ((lambda X: model.predict(zeros(X))) if task == "regression" else (lambda X: model.predict_proba(zeros(X)))), {}
    classifier_family, regressor_family, preprocessing = _FIXED[system]
    family = regressor_family if task == "regression" else classifier_family
    with tempfile.TemporaryDirectory(prefix="automl-bench-") as run_dir:
        model = (AutoRegressor if task == "regression" else AutoClassifier)(
            time_budget=None, max_trials=1, seed=seed, resampling="holdout", run_dir=run_dir, keep_models=0,
            warm_start="none", ensemble_size=0, multi_fidelity=False,  # the family's own defaults, nothing learned
            include=(family, *preprocessing, "no_preprocessing", "simple_imputer"))
        model.fit(X_train, y_train)  # one trial: the family's defaults, then the refit on all rows
    return (model.predict if task == "regression" else model.predict_proba), {}


def score_all(task: str, y_train, y_test, predictions: np.ndarray, primary: str | None = None) -> dict[str, float]:
    """Test metrics; test rows of a class never seen in training are left out for classification."""
    from automl.metrics import get_metric

    if task == "regression":
        y_true = np.asarray(y_test, dtype=float)
    else:
        classes = np.unique(np.asarray(y_train))
        known = np.isin(np.asarray(y_test), classes)
        y_true, predictions = np.searchsorted(classes, np.asarray(y_test)[known]), predictions[known]
    names = dict.fromkeys([primary or SECONDARY[task][0], *SECONDARY[task]])
    return {name: float(get_metric(name, task).score(y_true, predictions)) for name in names}


def run(spec: dict) -> dict:
    """Split, fit, predict and score; every failure becomes a result with status 'failed'."""
    started = time.monotonic()
    try:
        X_train, X_test, y_train, y_test = split(Path(spec["file"]), spec["target"], spec["task"], spec["seed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predict, extra = fit_system(spec["system"], spec["task"], X_train, y_train,
                                        budget=spec["budget_s"], seed=spec["seed"], metric=spec.get("metric"),
                                        options=spec.get("options"))
            scores = score_all(spec["task"], y_train, y_test, np.asarray(predict(X_test)), spec.get("metric"))
            rows_10k = X_test.sample(10_000, replace=True, random_state=spec["seed"])  # test rows, drawn again
            predict_started = time.perf_counter()
            predict(rows_10k)
            per_10k = time.perf_counter() - predict_started
        return {"status": "ok", "scores": scores, **extra, "predict_s_per_10k": round(per_10k, 4),
                "wall_s": round(time.monotonic() - started, 2)}
    except Exception as exc:
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:300],
                "wall_s": round(time.monotonic() - started, 2)}


def main() -> None:
    """Entry point of a benchmark run process: spec on stdin, result on the last line of stdout."""
    result = run(json.loads(sys.stdin.read()))
    print(json.dumps(result), flush=True)
