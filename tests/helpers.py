"""Test-only estimators named by tests/components/*.yaml: some misbehave on purpose, some record what they saw."""

import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

SPAWNED_SECONDS = 987.654  # how a test recognises the children ``mode="spawn"`` leaves


class MisbehavingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class after doing what ``mode`` says: sleep, abort, raise, allocate or warn."""

    def __init__(self, mode: str = "sleep", seconds: float = 3600.0):
        self.mode = mode
        self.seconds = seconds

    def fit(self, X, y):
        if self.mode == "sleep":
            time.sleep(self.seconds)
        elif self.mode == "abort":
            os.abort()
        elif self.mode == "raise":
            raise RuntimeError("misbehaving on purpose")
        elif self.mode == "allocate":  # 64 MB at a time, every page touched, until killed (or 8 GB)
            held = []
            for _ in range(128):
                held.append(np.ones(8 * 2**20))
                time.sleep(0.01)
        elif self.mode == "spawn":  # a child in a session of its own (as some libraries start servers), then hang
            subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({SPAWNED_SECONDS})"],
                             start_new_session=True)
            time.sleep(self.seconds)
        elif self.mode == "daemon":  # a grandchild that leaves its parent at once (a daemonising command), then hang
            subprocess.Popen(["sh", "-c", f"setsid {sys.executable} -c 'import time; time.sleep({SPAWNED_SECONDS})' &"])
            time.sleep(self.seconds)
        elif self.mode == "warn":
            warnings.warn("a library complaining", UserWarning)
            warnings.warn("did not converge", RuntimeWarning)
        self.classes_ = np.unique(y)
        self.majority_ = self.classes_[np.argmax(np.bincount(np.searchsorted(self.classes_, y)))]
        return self

    def predict_proba(self, X):
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, np.searchsorted(self.classes_, self.majority_)] = 1.0
        return proba

    def predict(self, X):
        return np.full(len(X), self.majority_)


class WeightedPriorClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the training rows' class shares, weighted by ``sample_weight``: shows where weights reached."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        counts = np.bincount(np.searchsorted(self.classes_, y), weights=weights, minlength=len(self.classes_))
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.full(len(X), np.argmax(self.prior_))]


class OverconfidentClassifier(ClassifierMixin, BaseEstimator):
    """A logistic regression that says 0.99 for the class it picks: right more often than not, badly calibrated."""

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        picked = self.model_.predict_proba(X).argmax(axis=1)
        return np.where(np.arange(len(self.classes_)) == picked[:, None], 0.99, 0.01 / (len(self.classes_) - 1))

    def predict(self, X):
        return self.model_.predict(X)


class RefitFailsClassifier(ClassifierMixin, BaseEstimator):
    """A logistic regression that fails to fit more than ``max_rows`` rows: fine on a fold, not refit on all."""

    def __init__(self, max_rows: int = 0):
        self.max_rows = max_rows

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        if len(X) > self.max_rows:
            raise RuntimeError(f"{len(X)} rows: more than this model takes")
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


class RowRecorder(ClassifierMixin, BaseEstimator):
    """Appends the first feature's values (row ids) of every fit and predict to the file ``log`` (JSON lines):
    shows which rows each fit and each validation saw, in the trial process."""

    def __init__(self, log: str = ""):
        self.log = log

    def _record(self, step: str, X) -> None:
        with open(self.log, "a") as log:
            log.write(json.dumps({"step": step, "rows": np.asarray(X)[:, 0].round().astype(int).tolist()}) + "\n")

    def fit(self, X, y):
        self._record("fit", X)
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        self._record("predict", X)
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

    def predict(self, X):
        return self.classes_[np.zeros(len(X), dtype=int)]


def row_recorder_space(folder) -> tuple[str, str]:
    """A search-space folder (folder/space) holding only the ``row_recorder`` family, logging to folder/rows.jsonl:
    (space folder, log)."""
    log = str(folder / "rows.jsonl")
    (folder / "space").mkdir()
    (folder / "space" / "row_recorder.yaml").write_text(
        "name: row_recorder\nstep: model\nestimator: tests.helpers.RowRecorder\ntasks: [binary, multiclass]\n"
        f"initial_design: {{rank: 0}}\nfixed: {{log: {json.dumps(log)}}}\n")
    return str(folder / "space"), log


def recorded_splits(path) -> list[tuple[set, set]]:
    """(fitted rows, validated rows) of every fit that a validation followed, from a RowRecorder log."""
    steps = [json.loads(line) for line in open(path)]
    return [(set(a["rows"]), set(b["rows"])) for a, b in zip(steps, steps[1:]) if (a["step"], b["step"]) == ("fit", "predict")]


def start_fit_and_wait_for_trials(csv_file, run_dir, model, *options: str, trials: int = 2) -> subprocess.Popen:
    """`automl fit` in its own process group (as a terminal runs it), returned once ``trials`` trials
    are in the run's log (or after 90 s), for a test to interrupt."""
    process = subprocess.Popen([sys.executable, "-m", "automl.cli.main", "fit", str(csv_file), "--target", "label",
                                "--time", "120", "--run-dir", str(run_dir), "--out", str(model), *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 90
    log = run_dir / "trials.jsonl"
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= trials:
            break
        time.sleep(0.05)
    return process


def make_record(trial_id, config, origin, loss, fit_seconds=0.0, predict_seconds=0.0, warnings=None, error=None,
                started_s=0.0, finished_s=0.0, scores=None, fraction=1.0):
    """A finished trial's record, its fields in the order a trial line lists them."""
    from automl.records import TrialRecord, TrialResult, TrialSpec, TrialStatus

    status = TrialStatus.OK if loss is not None else TrialStatus.FAILED
    return TrialRecord(trial_id, TrialSpec(config, origin, fraction),
                       TrialResult(status, loss, fit_seconds, predict_seconds, warnings or {}, error, scores or {},
                                   started_s, finished_s))


def features(**changes) -> dict[str, float]:
    """Meta-features, all zero but the ``changes``."""
    from automl.metalearning.metafeatures import NAMES

    return {**dict.fromkeys(NAMES, 0.0), **changes}


def tiny_metabase():
    """Three datasets, a pool of four classification and two regression configurations."""
    from automl.metalearning.metabase import DatasetEntry, Metabase

    pool = [{"model": "lightgbm"}, {"model": "random_forest"}, {"model": "extra_trees"}, {"model": "mlp"}]
    origins = ["default", "default", "smac trees", "random"]
    datasets = [DatasetEntry("trees", "binary", "roc_auc", features(log_rows=8.0), [0.2, 0.1, 0.05, 0.5]),
                DatasetEntry("boosting", "binary", "roc_auc", features(log_rows=4.0), [0.1, 0.3, 0.3, None]),
                DatasetEntry("prices", "regression", "rmse", features(log_rows=6.0), [1.0, 2.0])]
    return Metabase({"classification": pool, "regression": [{"model": "ridge"}, {"model": "lightgbm"}]},
                    {"classification": origins, "regression": ["default", "default"]}, datasets, {"command": "test"})


def spawned_processes(wait_s: float = 0.0) -> list:
    """The processes ``mode="spawn"``/``"daemon"`` trials left alive, after waiting up to ``wait_s`` for them to go."""
    import psutil

    deadline = time.monotonic() + wait_s
    while True:
        alive = [p for p in psutil.process_iter(["cmdline"]) if str(SPAWNED_SECONDS) in " ".join(p.info["cmdline"] or [])]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)
