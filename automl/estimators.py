"""AutoClassifier and AutoRegressor: scikit-learn estimators whose ``fit`` runs a CASH search.

``fit`` reads like a table of contents: check inputs, build the space, search, refit. Each
step is a call into its own module; this file only orchestrates.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted, column_or_1d

from automl.bounds import DataShape
from automl.data import as_frame, clean_target, infer_schema, prepare_features
from automl.errors import InputError
from automl.evaluation import TrialData, choose_resampling, make_folds, predict, refit
from automl.leaderboard import leaderboard
from automl.metrics import get_metric
from automl.search import SEARCH_METHODS, TrialRecord, run_search
from automl.space import build_space
from automl.worker import TrialWorker, WorkerFailure, WorkerTrials

logger = logging.getLogger(__name__)

BUDGET_SLACK = 0.05  # fit returns within time_budget * (1 + BUDGET_SLACK) + a few seconds
REFIT_SAFETY = 1.5   # a refit on all rows is assumed to take this much longer than the fold average


class _AutoBase(BaseEstimator):
    _task_kind = ""

    def __init__(self, *, time_budget: float | None = 60.0, max_trials: int | None = None, metric: str | None = None,
                 search: str = "smac", seed: int = 0, resampling: str | None = None, include: tuple | None = None,
                 exclude: tuple | None = None, search_space_dir: str | None = None,
                 trial_time_limit: float | None = None, memory_limit_mb: int | None = None):
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.metric = metric
        self.search = search
        self.seed = seed
        self.resampling = resampling
        self.include = include
        self.exclude = exclude
        self.search_space_dir = search_space_dir
        self.trial_time_limit = trial_time_limit
        self.memory_limit_mb = memory_limit_mb

    def fit(self, X, y) -> "_AutoBase":
        """Search the space within the budget and refit the best pipeline on all rows."""
        started = time.monotonic()
        self._check_params()
        X, y, task, schema = self._prepare(X, y)
        worker = TrialWorker(None, memory_limit_mb=self.memory_limit_mb)
        worker.start()  # the process imports its libraries while we build the space
        scratch = Path(tempfile.mkdtemp(prefix="automl-"))
        try:
            metric = get_metric(self.metric, task)
            resampling = choose_resampling(len(X), X.shape[1], self.time_budget, self.resampling)
            folds = make_folds(resampling, y, classification=task != "regression", seed=self.seed)
            space = self._build_space(task, schema, len(X), folds)
            worker.data = self._trial_data = TrialData(X, y, schema, task, len(getattr(self, "classes_", ())),
                                                       folds, metric, self.seed)
            end = None if self.time_budget is None else started + self.time_budget
            hard_end = None if self.time_budget is None else started + self.time_budget * (1 + BUDGET_SLACK)
            trial_limit = self.trial_time_limit or (None if self.time_budget is None else max(10.0, self.time_budget / 4))
            refit_factor = REFIT_SAFETY / max(len(folds) - 1, 1) if resampling.kind == "cv" else REFIT_SAFETY * 1.5
            result = run_search(
                space, WorkerTrials(worker, space.to_steps),
                method=self.search, seed=self.seed, end_time=end, max_trials=self.max_trials,
                trial_time_limit=trial_limit, initial_configs=space.default_configs(), output_dir=scratch / "smac",
                reserve_s=lambda best: 1.0 + (best.fit_seconds * refit_factor if best else 0.0),
            )
            self.best_pipeline_, best = self._refit(worker, space, result.trials, hard_end, refit_factor, task)
        finally:
            worker.close()
            shutil.rmtree(scratch, ignore_errors=True)
            self.__dict__.pop("_trial_data", None)
            self.__dict__.pop("_last_y", None)

        self.task_ = task
        self.metric_ = metric.name
        self.schema_ = schema
        self.resampling_ = resampling.describe()
        self.best_config_ = best.config if best else None
        self.best_loss_ = best.loss if best else None
        self.best_score_ = metric.score_from_loss(best.loss) if best else None
        self.leaderboard_ = leaderboard(result.trials, metric)
        self.trials_ = result.trials
        self.oof_predictions_ = result.predictions
        self.n_trials_ = len(result.trials)
        self.optimizer_seconds_ = result.optimizer_seconds
        self.optimizer_share_ = result.optimizer_share
        self.search_seconds_ = result.wall_seconds
        self.fit_seconds_ = time.monotonic() - started
        self.n_features_in_ = len(self.feature_names_in_)
        logger.info("fit done in %.1fs: %d trials, optimizer %.1f%% of search time, best %s %s=%s",
                    self.fit_seconds_, self.n_trials_, 100 * self.optimizer_share_,
                    best.config["model"] if best else "none", metric.name, self.best_score_)
        return self

    def _build_space(self, task: str, schema, n_rows: int, folds):
        shape = DataShape(n_rows=n_rows, fold_rows=min(len(train) for train, _ in folds),
                          n_features=len(schema.columns), n_classes=len(getattr(self, "classes_", ())))
        return build_space(task, shape, has_categorical=bool(schema.categorical), include=tuple(self.include or ()),
                           exclude=tuple(self.exclude or ()),
                           extra_dirs=(self.search_space_dir,) if self.search_space_dir else ())

    def _check_params(self) -> None:
        if self.time_budget is not None and not (isinstance(self.time_budget, (int, float)) and self.time_budget > 0):
            raise InputError(f"time_budget must be a positive number of seconds, got {self.time_budget!r}.")
        if self.max_trials is not None and not (isinstance(self.max_trials, (int, np.integer)) and self.max_trials > 0):
            raise InputError(f"max_trials must be a positive integer, got {self.max_trials!r}.")
        if self.time_budget is None and self.max_trials is None:
            raise InputError("Give a time_budget, a max_trials, or both; with neither the search would never stop.")
        if self.search not in SEARCH_METHODS:
            raise InputError(f"Unknown search {self.search!r}; choose one of {', '.join(SEARCH_METHODS)}.")
        if self.resampling not in (None, "cv", "holdout"):
            raise InputError(f"Unknown resampling {self.resampling!r}; choose 'cv', 'holdout' or leave it unset.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed inside the pipelines
        tags.non_deterministic = self.max_trials is None  # a wall-clock budget steers the search
        return tags

    def _prepare(self, X, y):
        if y is None:
            raise InputError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        frame = as_frame(X)
        if not isinstance(y, pd.Series):
            y = column_or_1d(y, warn=True)
        if len(frame) < 2:
            raise InputError(f"Need at least 2 rows to learn from, got {len(frame)}.")
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        frame, target, task = clean_target(frame, y, self._task_for(y))
        schema = infer_schema(frame)
        features = prepare_features(frame, schema)
        return features, self._encode_target(target), task, schema

    def _refit(self, worker: TrialWorker, space, trials: list[TrialRecord], hard_end: float | None,
               factor: float, task: str) -> tuple[Pipeline, TrialRecord | None]:
        """Refit the best trial on all rows; if it cannot finish in time, the next best that can.

        The refit runs in the worker when it is alive. When the last trial was killed at the
        end of the search, starting a new worker could cost more than the time left, so the
        refit runs here instead: the configuration already fit on every fold, so it is known
        not to crash or hang.
        """
        for trial in sorted((t for t in trials if t.ok), key=lambda t: (t.loss, t.trial_id)):
            left = None if hard_end is None else hard_end - time.monotonic()
            if left is not None and trial.fit_seconds * factor > left:
                continue
            steps = space.to_steps(trial.config)
            if not worker.alive:
                logger.info("Refitting trial %d in the main process (the worker was stopped).", trial.trial_id)
                return refit(steps, self._trial_data), trial
            try:
                return worker.run("refit", steps, left), trial
            except WorkerFailure as failure:
                logger.warning("Refit of trial %d failed (%s); trying the next best.", trial.trial_id, failure)
        logger.warning("No configuration could be refit within the budget; falling back to a constant predictor.")
        dummy = DummyRegressor() if task == "regression" else DummyClassifier(strategy="prior")
        return Pipeline([("model", dummy)]).fit(np.zeros((len(self._last_y), 1)), self._last_y), None

    def _features_for_predict(self, X) -> pd.DataFrame:
        check_is_fitted(self, "best_pipeline_")
        frame = as_frame(X)
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise InputError(f"X has {frame.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        if not isinstance(X, pd.DataFrame):
            frame.columns = list(self.feature_names_in_)
        return prepare_features(frame, self.schema_)


class AutoClassifier(ClassifierMixin, _AutoBase):
    """Classification by CASH search: the best scikit-learn/LightGBM/XGBoost pipeline for (X, y).

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = AutoClassifier(max_trials=2, time_budget=60).fit(X, y)
    >>> model.predict(X.iloc[:3]).tolist()
    [0, 0, 0]
    """

    def _task_for(self, y) -> str:
        n_classes = pd.Series(np.asarray(y)).dropna().nunique()
        return "binary" if n_classes <= 2 else "multiclass"

    def _encode_target(self, target: pd.Series) -> np.ndarray:
        encoder = LabelEncoder().fit(target.to_numpy())
        self.classes_ = encoder.classes_
        self._last_y = encoder.transform(target.to_numpy()).astype(np.int64)
        return self._last_y

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class in ``classes_`` order."""
        check_is_fitted(self, "best_pipeline_")
        features = self._features_for_predict(X)
        if self.best_config_ is None:
            return self.best_pipeline_.predict_proba(np.zeros((len(features), 1)))
        return predict(self.best_pipeline_, features, len(self.classes_))

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "best_pipeline_")
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class AutoRegressor(RegressorMixin, _AutoBase):
    """Regression by CASH search: the best scikit-learn/LightGBM/XGBoost pipeline for (X, y).

    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = AutoRegressor(max_trials=2, time_budget=60).fit(X, y)
    >>> model.predict(X.iloc[:2]).shape
    (2,)
    """

    def _task_for(self, y) -> str:
        return "regression"

    def _encode_target(self, target: pd.Series) -> np.ndarray:
        self._last_y = target.to_numpy(dtype=np.float64)
        return self._last_y

    def predict(self, X) -> np.ndarray:
        features = self._features_for_predict(X)
        if self.best_config_ is None:
            return self.best_pipeline_.predict(np.zeros((len(features), 1)))
        return predict(self.best_pipeline_, features, None)
