"""AutoClassifier and AutoRegressor: scikit-learn estimators whose ``fit`` runs a CASH search.

``fit`` reads like a table of contents: check inputs, open the run, build the space, search,
build the final predictor, save. Each step is a call into ``automl.fitting`` or below; this file
holds the parameters, their checks and the learned attributes.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automl.data import Schema, TrainingData, as_frame, check_weights, prepare_features, prepare_training
from automl.errors import InputError
from automl.fitting import (
    REMEMBER_ENV,
    FinalModel,
    SearchPlan,
    check_params,
    data_space,
    final_predictor,
    make_budget,
    min_fraction,
    open_run,
    search,
)
from automl.metalearning.metabase import remember_run
from automl.metalearning.metafeatures import compute_metafeatures
from automl.metrics import SCORED_ALONGSIDE, Metric, check_metric_on, get_metric
from automl.records import FinalSummary
from automl.report.leaderboard import leaderboard
from automl.report.progress import Progress, make_progress
from automl.run.importance import keep_out_of_fold_rows, out_of_fold_importance
from automl.run.modelfile import predict_final, read_model_file, save_model
from automl.run.store import describe_size
from automl.run.threshold import at_threshold
from automl.search.cost import build_cost_model
from automl.search.design import initial_design
from automl.search.loop import SearchSettings
from automl.search.result import SearchResult
from automl.trials.evaluation import TrialData, baseline_loss
from automl.trials.memory_policy import memory_limit_mb
from automl.trials.resampling import make_folds
from automl.trials.resources import release_freed_memory
from automl.trials.runners import connect_dask
from automl.trials.worker import TrialWorker

logger = logging.getLogger(__name__)


class _AutoBase(BaseEstimator):
    def __init__(self, *, time_budget: float | None = 60.0, max_trials: int | None = None, metric: str | None = None,
                 extra_metrics: tuple | None = None, search: str = "smac", seed: int = 0, resampling: str | None = None,
                 include: tuple | None = None, exclude: tuple | None = None, search_space_dir: str | None = None,
                 trial_time_limit: float | None = None, memory_limit_mb: float | None = None,
                 initial_configs: list[dict] | None = None, run_dir: str | None = None, resume: bool = False,
                 keep_models: int = 1, ensemble_size: int = 50, n_jobs: int = 1,
                 dask_address: str | None = None, warm_start="both", metabase: str | None = None,
                 remember: bool | None = None, multi_fidelity="auto", cv=None, verbose: int = 0):
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.metric = metric
        self.extra_metrics = extra_metrics
        self.search = search
        self.seed = seed
        self.resampling = resampling
        self.include = include
        self.exclude = exclude
        self.search_space_dir = search_space_dir
        self.trial_time_limit = trial_time_limit
        self.memory_limit_mb = memory_limit_mb
        self.initial_configs = initial_configs
        self.run_dir = run_dir
        self.resume = resume
        self.keep_models = keep_models
        self.ensemble_size = ensemble_size
        self.n_jobs = n_jobs
        self.dask_address = dask_address
        self.warm_start = warm_start
        self.metabase = metabase
        self.remember = remember
        self.multi_fidelity = multi_fidelity
        self.cv = cv
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None, groups=None) -> _AutoBase:
        """Search the space within the budget and refit the best pipeline on all rows.

        ``sample_weight`` (one non-negative number per row) reaches every trial's fit, every
        validation score, the final refit and the ensemble selection; rows of weight zero are left
        out, and model families whose fit takes no weights (k-nearest neighbours) leave the space.
        ``groups`` (one label per row: a patient, a store) keeps each group on one side of every
        split; ``cv`` chooses the splits themselves.

        Every finished trial is written to the run directory at once; with ``resume=True`` the
        run in ``run_dir`` continues: its trials are read back, never re-run, and the budget
        counts the time they took. A first Ctrl-C stops the search and keeps the best so far.
        """
        started = time.monotonic()
        self._check_params()
        if y is None:
            raise InputError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        data = prepare_training(X, y, self._task_for, sample_weight, groups)
        release_freed_memory()  # preparing a large table made short-lived copies
        memory_mb = memory_limit_mb(self.memory_limit_mb)
        worker = TrialWorker(None, memory_limit_mb=memory_mb)
        worker.start()  # the process imports its libraries while we build the space
        dask = connect_dask(self.n_jobs, self.dask_address, memory_mb)  # a local cluster starts meanwhile too
        scratch = Path(tempfile.mkdtemp(prefix="automl-"))
        store, progress = None, Progress(None, None, None)
        try:
            metric = get_metric(self.metric, data.task, data.classes)
            check_metric_on(metric, data.y, data.n_classes)
            store, resampling = open_run(self.get_params(), type(self).__name__, data, metric)
            worker.log_path = store.path / "worker.log"
            folds = make_folds(resampling, data.y, classification=data.classes is not None, seed=self.seed,
                               groups=data.groups, splitter=self.cv)
            space = data_space(data, folds, include=self.include, exclude=self.exclude,
                               search_space_dir=self.search_space_dir)
            extra = tuple(get_metric(name, data.task, data.classes) for name in self._extra_metric_names(data.task))
            trial_data = TrialData(data.X, data.y, data.schema, data.task, data.n_classes, folds, metric, self.seed, extra,
                                   data.weights, data.groups)
            metafeatures = compute_metafeatures(data.X, data.y, data.schema.categorical + data.schema.dates + data.schema.text,
                                                data.classes is not None)  # dates and text count as not numeric
            cost = build_cost_model(space.components, data.task, folds, len(data.schema.columns), data.n_classes,
                                    self.metabase, space.project, data.category_levels)
            limits = make_budget(started, [], folds, len(data.y), self.get_params())  # as the loop shrinks
            design = initial_design(space, initial_configs=self.initial_configs, warm_start=self.warm_start,
                                    metabase=self.metabase, task=data.task, metafeatures=metafeatures, cost=cost,
                                    time_budget=self.time_budget, limit_s=limits.trial_limit_s,
                                    shrink_to_s=limits.shrink_limit_s)
            described = space.describe()  # serialises the ConfigSpace: once
            store.begin(described)  # every option checked: only now is the run directory written
            store.write_metafeatures(metafeatures)
            progress = make_progress(self.verbose, metric, self.time_budget, self.max_trials,
                                     described["key_hyperparameters"])
            worker.data = trial_data
            history = store.read_trials() if self.resume else []
            budget = make_budget(started, history, folds, len(data.y), self.get_params())
            settings = SearchSettings(self.search, self.seed, self.max_trials, min_fraction(
                self.multi_fidelity, self.search, trial_data), baseline_loss(trial_data), scratch / "smac")
            plan = SearchPlan(space, trial_data, design, settings, self.keep_models, memory_mb, self.n_jobs, cost)
            result = search(plan, store, history, budget, worker, dask, progress)
            dask = None  # closed by the search
            release_freed_memory()  # the data's pickled copy (sent to the worker) is gone
            final = final_predictor(plan, result, budget, worker, progress, self.ensemble_size, store.kept_models_file)
            progress.phase("saving the model")
            self._set_learned(data, metric, resampling.describe(), final, result, started)
            self.leaderboard_ = leaderboard(result.trials, metric, described["key_hyperparameters"], final.weights)
            store.write_final(final.weights, final.summary)
            kept = store.best_kept_models(result.trials)  # for feature_importances_, computed on first use
            self.__dict__.pop("_feature_importances", None)
            self.__dict__["_out_of_fold_rows"] = None if kept is None else \
                keep_out_of_fold_rows(trial_data, kept[1], kept[0].trial_id)
            self.run_dir_ = str(store.path)
            save_model(self, store.path / "model.skops")
            self.run_dir_bytes_ = store.size_bytes()
        finally:
            progress.stop()
            worker.close()
            if dask is not None:
                dask.close()
            shutil.rmtree(scratch, ignore_errors=True)
            if store is not None:
                store.close()
        logger.info("Run directory %s holds %s.", store.path, describe_size(self.run_dir_bytes_))
        self._remember(store.path)
        return self

    def _remember(self, run_dir: Path) -> None:
        """Add the run to the user's metabase: ``remember``, or when it is None AUTOML_REMEMBER_RUNS=1."""
        remembers = self.remember if self.remember is not None else \
            os.environ.get(REMEMBER_ENV, "").strip().lower() in ("1", "true", "yes", "on")
        if not remembers or self.best_config_ is None:
            return
        try:
            logger.info("This run joins your metabase: %s.", remember_run(run_dir))
        except (OSError, InputError) as problem:  # the model is fitted and saved: only remembering failed
            logger.warning("This run could not be added to your metabase: %s", problem)

    def _set_learned(self, data: TrainingData, metric: Metric, resampling: str, final: FinalModel,
                     result: SearchResult, started: float) -> None:
        """Set every learned attribute at once, so a failed fit leaves the old ones consistent."""
        for stale in ("feature_names_in_", "classes_"):
            self.__dict__.pop(stale, None)
        if data.named_columns:
            self.feature_names_in_ = np.asarray(data.columns, dtype=object)
        if data.classes is not None:
            self.classes_ = data.classes
        self.input_columns_ = list(data.columns)
        self.n_features_in_ = len(data.columns)
        self.task_ = data.task
        self.metric_ = metric.name
        self.schema_ = data.schema
        self.resampling_ = resampling
        best = final.best
        self.best_pipeline_ = final.predictor
        self.ensemble_weights_ = final.weights
        self.refit_fraction_ = final.refit_fraction
        self.final_model_ = final.summary
        self.decision_threshold_ = final.threshold
        self.estimated_score_ = final.summary.estimate
        self.best_config_ = best.config if best else None
        self.best_loss_ = best.loss if best else None
        self.best_score_ = metric.score_from_loss(best.loss) if best else None
        self.interrupted_ = result.interrupted
        self.resumed_trials_ = result.resumed_trials
        self.trials_ = result.trials
        self.oof_predictions_ = result.predictions
        self.n_trials_ = len(result.trials)
        self.optimizer_seconds_ = result.optimizer_seconds
        self.optimizer_share_ = result.optimizer_share
        self.search_seconds_ = result.wall_seconds
        self.fit_seconds_ = time.monotonic() - started
        logger.info("fit done in %.1fs: %d trials, optimizer %.1f%% of search time, best %s %s=%s",
                    self.fit_seconds_, self.n_trials_, 100 * self.optimizer_share_,
                    best.config["model"] if best else "none", metric.name, self.best_score_)

    def _extra_metric_names(self, task: str) -> tuple[str, ...]:
        if self.extra_metrics is None:
            return SCORED_ALONGSIDE[task]
        return tuple(self.extra_metrics)

    def _check_params(self) -> None:
        check_params(self.get_params())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed inside the pipelines
        tags.non_deterministic = self.time_budget is not None  # a wall-clock budget steers the search
        return tags

    def score(self, X, y, sample_weight=None) -> float:
        """The fit's metric on (X, y), higher is better as scikit-learn's scorers give it: metrics where
        lower is better (log loss, RMSE, MAE) are negated, as ``neg_log_loss`` is."""
        check_is_fitted(self, "best_pipeline_")
        metric = self._fit_metric()
        weights = None if sample_weight is None else check_weights(sample_weight, len(as_frame(X)))
        if self.task_ == "regression":
            return metric.greater_is_better_score(np.asarray(y, dtype=float), self.predict(X), weights)
        labels = np.asarray(y)
        unknown = ~np.isin(labels, self.classes_)
        if unknown.any():
            raise InputError(f"y holds a class the model never saw ({labels[unknown][0]!r}); it cannot be scored.")
        codes = np.searchsorted(self.classes_, labels)
        proba = self.predict_proba(X)
        if metric.scores_labels and self._threshold() is not None:  # the labels predict gives
            proba = at_threshold(proba, self._threshold())
        return metric.greater_is_better_score(codes, proba, weights)

    def _threshold(self) -> float | None:
        return getattr(self, "decision_threshold_", None)

    def _fit_metric(self) -> Metric:
        """The metric the fit optimised: the scorer object given as ``metric`` if it is the one recorded."""
        scorer = self.metric if self.metric is not None and not isinstance(self.metric, str) else None
        return get_metric(scorer if scorer is not None and repr(scorer) == self.metric_ else self.metric_,
                          self.task_, getattr(self, "classes_", None))

    @property
    def feature_importances_(self) -> pd.Series:
        """Each input column's permutation importance, out of fold: how much the fit's metric worsens
        (its loss grows: 1 - AUC, log loss, RMSE, ...) when the column's values are shuffled, averaged
        over 5 shuffles, for the best trial's fold models, each predicting only its own validation rows
        (a sample of at most 2,000), so no row is scored by a model fit on it. Indexed by column
        name, largest first; 0 or below: not used. Computed on first use from the fold models kept in
        the run directory (``keep_models`` >= 1); a loaded model has none: ``automl explain`` scores
        the saved model on held-out rows instead."""
        check_is_fitted(self, "best_pipeline_")
        cached = self.__dict__.get("_feature_importances")
        if cached is None:
            rows = self.__dict__.get("_out_of_fold_rows")
            if rows is None:
                raise AttributeError("feature_importances_ needs the best trial's fold models, and this model kept "
                                     "none (keep_models=0, or it was loaded from a file); automl explain MODEL DATA "
                                     "--target T computes importances on held-out rows.")
            cached = out_of_fold_importance(rows, self._fit_metric(), self.input_columns_, self.seed)
            self.__dict__["_feature_importances"] = cached
        return cached

    def _features_for_predict(self, X) -> pd.DataFrame:
        check_is_fitted(self, "best_pipeline_")
        frame = as_frame(X)
        if not hasattr(self, "feature_names_in_"):  # fitted on an array: columns are positional
            if frame.shape[1] != self.n_features_in_:
                raise InputError(f"X has {frame.shape[1]} features, but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input.")
            frame.columns = self.input_columns_
        return prepare_features(frame, self.schema_)


class AutoClassifier(ClassifierMixin, _AutoBase):
    """Classification by CASH search: the best scikit-learn/LightGBM/XGBoost pipeline for (X, y).

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = AutoClassifier(max_trials=2, time_budget=60).fit(X, y)
    >>> model.predict(X.iloc[:3]).tolist()
    [0, 0, 0]
    """

    score = _AutoBase.score  # the fit's metric, not ClassifierMixin's accuracy

    def _task_for(self, y) -> str:
        n_classes = pd.Series(np.asarray(y)).dropna().nunique()
        return "binary" if n_classes <= 2 else "multiclass"

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class in ``classes_`` order."""
        check_is_fitted(self, "best_pipeline_")
        features = self._features_for_predict(X)
        return predict_final(self.best_pipeline_, features, len(self.classes_), self.best_config_ is None)

    def predict(self, X) -> np.ndarray:
        """The most probable class, or for a binary fit with a label metric (F1, balanced accuracy) the
        second class where its probability passes ``decision_threshold_``, tuned for that metric."""
        check_is_fitted(self, "best_pipeline_")
        proba = self.predict_proba(X)
        if self._threshold() is not None:
            proba = at_threshold(proba, self._threshold())
        return self.classes_[proba.argmax(axis=1)]


class AutoRegressor(RegressorMixin, _AutoBase):
    """Regression by CASH search: the best scikit-learn/LightGBM/XGBoost pipeline for (X, y).

    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = AutoRegressor(max_trials=2, time_budget=60).fit(X, y)
    >>> model.predict(X.iloc[:2]).shape
    (2,)
    """

    score = _AutoBase.score  # the fit's metric, not RegressorMixin's R^2

    def _task_for(self, y) -> str:
        return "regression"

    def predict(self, X) -> np.ndarray:
        features = self._features_for_predict(X)
        return predict_final(self.best_pipeline_, features, None, self.best_config_ is None)


def load_model(path: str | Path) -> AutoClassifier | AutoRegressor:
    """Read a model written by ``save_model``; refuse files with untrusted types or of another origin."""
    payload = read_model_file(path)
    model = (AutoClassifier if payload["kind"] == "AutoClassifier" else AutoRegressor)()
    model.best_pipeline_ = payload["pipeline"]
    model.best_config_ = {} if payload["has_config"] else None
    model.schema_ = Schema.from_json(payload["schema"])
    model.input_columns_ = list(payload["input_columns"])
    model.n_features_in_ = len(model.input_columns_)
    if payload["named_columns"]:
        model.feature_names_in_ = np.asarray(model.input_columns_, dtype=object)
    model.task_ = payload["task"]
    model.metric_ = payload["metric"]
    if payload["classes"] is not None:
        model.classes_ = np.asarray(payload["classes"])
    model.decision_threshold_ = payload.get("threshold")
    if payload.get("final"):
        model.final_model_ = FinalSummary.from_json(payload["final"])
        model.estimated_score_ = model.final_model_.estimate
    return model
