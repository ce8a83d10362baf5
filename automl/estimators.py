"""AutoClassifier and AutoRegressor: scikit-learn estimators whose ``fit`` runs a CASH search.

``fit`` reads like a table of contents: check inputs, build the space, search, refit. Each
step is a call into its own module; this file only orchestrates.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted, column_or_1d

from automl.bounds import DataShape
from automl.data import (Schema, as_frame, clean_target, infer_schema, prepare_features, summarise_data,
                         with_float32)
from automl.errors import InputError
from automl.evaluation import Resampling, TrialData, baseline_loss, choose_resampling, make_folds, predict
from automl.final import full_fit_seconds, refit_best, refit_ensemble
from automl.leaderboard import leaderboard
from automl.memory import TableShape, estimate_mb, headroom_mb, release_freed_memory
from automl.metrics import SCORED_ALONGSIDE, get_metric
from automl.modelfile import library_versions, save_model
from automl.progress import Progress, make_progress
from automl.runstore import RunStore, data_fingerprint, describe_size
from automl.metalearning.metabase import remember_run
from automl.metalearning.metafeatures import compute_metafeatures
from automl.metalearning.warmstart import check_warm_start, warm_start_design
from automl.search import SEARCH_METHODS, SearchResult, TrialRecord, config_key, run_search
from automl.space import SearchSpace, build_space
from automl.worker import TrialWorker, WorkerTrials, available_memory_mb

logger = logging.getLogger(__name__)

BUDGET_SLACK = 0.05           # fit returns within time_budget * (1 + BUDGET_SLACK) + 5 s ...
REFIT_GRACE = 3.0             # ... of which the refit may use 3 (a fresh worker's start-up), the rest writes the model
REFIT_SAFETY = 1.5            # a refit on all rows is assumed to take this much longer than a fold
TRIAL_LIMIT_SHARE = 0.25      # default per-trial limit: this share of the budget ...
MIN_TRIAL_LIMIT = 10.0        # ... but at least this many seconds
NO_BUDGET_TRIAL_LIMIT = 600.0  # with a trial-count budget only, one trial may still not run forever
MEMORY_SHARE = 0.75           # default per-trial memory limit: this share of the memory available at fit
MODEL_SAVE_LIMIT = 30.0       # seconds a top-K trial's models may take to write
BEST_RESERVE_SHARE = 0.25     # the search keeps back at most this share of the budget for the best's refit
ENSEMBLE_RESERVE_TRIALS = 6   # the search leaves time to refit this many of the best trials ...
ENSEMBLE_RESERVE_SHARE = 0.15  # ... the ones after the best taking at most this share of the budget
ENSEMBLE_OVERHEAD_S = 4.0     # a worker restart after a cut trial (2-3 s) and Caruana selection (about 1.5 s)
REMEMBER_ENV = "AUTOML_REMEMBER_RUNS"  # =1: every finished run joins the user's metabase
MULTI_FIDELITY_ROWS = 100_000  # multi_fidelity="auto" turns on when a training fold holds at least this many rows
MIN_FRACTION = 1 / 9           # ... and successive halving then starts on a ninth of each fold


@dataclass(frozen=True)
class _Prepared:
    """The training data as the search sees it."""

    X: pd.DataFrame
    y: np.ndarray
    task: str
    schema: Schema
    columns: list[str]
    classes: np.ndarray | None
    named_columns: bool
    target_name: str | None = None


class _AutoBase(BaseEstimator):
    def __init__(self, *, time_budget: float | None = 60.0, max_trials: int | None = None, metric: str | None = None,
                 extra_metrics: tuple | None = None, search: str = "smac", seed: int = 0, resampling: str | None = None,
                 include: tuple | None = None, exclude: tuple | None = None, search_space_dir: str | None = None,
                 trial_time_limit: float | None = None, memory_limit_mb: float | None = None,
                 initial_configs: list[dict] | None = None, run_dir: str | None = None, resume: bool = False,
                 keep_models: int = 1, ensemble_size: int = 50, n_jobs: int = 1,
                 dask_address: str | None = None, warm_start="both", metabase: str | None = None,
                 remember: bool | None = None, multi_fidelity="auto", verbose: int = 0):
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
        self.verbose = verbose

    def fit(self, X, y) -> "_AutoBase":
        """Search the space within the budget and refit the best pipeline on all rows.

        Every finished trial is written to the run directory at once; with ``resume=True`` the
        run in ``run_dir`` continues: its trials are read back, never re-run, and the budget
        counts the time they took. A first Ctrl-C stops the search and keeps the best so far.
        """
        started = time.monotonic()
        self._check_params()
        data = self._prepare(X, y)
        release_freed_memory()  # preparing a large table made short-lived copies
        worker = TrialWorker(None, memory_limit_mb=self._memory_limit())
        worker.start()  # the process imports its libraries while we build the space
        dask = self._dask_connection()  # a local cluster starts meanwhile too
        scratch = Path(tempfile.mkdtemp(prefix="automl-"))
        store, progress = None, Progress(None, None, None)
        try:
            metric = get_metric(self.metric, data.task)
            store, resampling = self._open_run(data, metric)
            worker.log_path = store.path / "worker.log"
            folds = make_folds(resampling, data.y, classification=data.classes is not None, seed=self.seed)
            n_classes = 0 if data.classes is None else len(data.classes)
            space = self._build_space(data, n_classes, folds)
            extra = tuple(get_metric(name, data.task) for name in self._extra_metric_names(data.task))
            metafeatures = compute_metafeatures(data.X, data.y, data.schema.categorical, data.classes is not None)
            warm = warm_start_design(self.warm_start, data.task, metafeatures, self.metabase)
            design = space.design_with_origins(self.initial_configs or (), warm)
            described = space.describe()  # serialises the ConfigSpace: once
            store.begin(described)  # every option checked: only now is the run directory written
            store.write_metafeatures(metafeatures)
            progress = make_progress(self.verbose, metric, self.time_budget, self.max_trials,
                                     described["key_hyperparameters"])
            trial_data = TrialData(data.X, data.y, data.schema, data.task, n_classes, folds, metric, self.seed, extra)
            worker.data = trial_data
            memory_checks = self._memory_checks(space, trial_data)
            result, refit_factor, end_time = self._search(store, space, worker, trial_data, resampling, started,
                                                          design, scratch / "smac", progress, dask, memory_checks)
            dask = None  # closed by the search
            release_freed_memory()  # the data's pickled copy (sent to the worker) is gone
            hard_end = None if end_time is None else started + self.time_budget * (1 + BUDGET_SLACK) + REFIT_GRACE
            pipeline, best, weights, refit_fraction = self._final_predictor(
                worker, space, result, trial_data, hard_end, refit_factor, progress, memory_checks)
            progress.phase("saving the model")
            self._store(data, metric, resampling.describe(), pipeline, best, result, started)
            self.ensemble_weights_ = weights
            self.refit_fraction_ = refit_fraction
            self.leaderboard_ = leaderboard(result.trials, metric, described["key_hyperparameters"], weights)
            store.write_weights(weights)
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
        if self._remembers() and self.best_config_ is not None:
            try:
                logger.info("This run joins your metabase: %s.", remember_run(store.path))
            except (OSError, InputError) as problem:  # the model is fitted and saved: only remembering failed
                logger.warning("This run could not be added to your metabase: %s", problem)
        return self

    def _remembers(self) -> bool:
        """``remember``, or when it is None the environment variable AUTOML_REMEMBER_RUNS=1."""
        if self.remember is not None:
            return bool(self.remember)
        return os.environ.get(REMEMBER_ENV, "").strip().lower() in ("1", "true", "yes", "on")

    def _open_run(self, data: "_Prepared", metric) -> tuple[RunStore, Resampling]:
        """Create the run directory, or reopen it to resume (then the run's resampling is kept)."""
        fingerprint = data_fingerprint(data.X, data.y, {c: "categorical" if c in data.schema.categorical else "numeric"
                                                        for c in data.schema.columns})
        fingerprint["summary"] = summarise_data(data.X, data.y, data.schema, data.classes)
        settings = {**self.get_params(), "task": data.task, "metric": metric.name, "estimator": type(self).__name__,
                    "target": data.target_name,
                    "versions": library_versions()}
        if self.resume:
            store = RunStore.reopen(Path(self.run_dir) if self.run_dir else None, settings, fingerprint)
            return store, Resampling(**store.settings["validation"])
        resampling = choose_resampling(len(data.X), data.X.shape[1], self.time_budget, self.resampling)
        settings["validation"] = {"kind": resampling.kind, "n_splits": resampling.n_splits}
        return RunStore.create(Path(self.run_dir) if self.run_dir else None, settings, fingerprint), resampling

    def _search(self, store: RunStore, space: SearchSpace, worker: TrialWorker, data: TrialData,
                resampling: Resampling, started: float, design: list[tuple[dict, str]],
                smac_dir: Path, progress: Progress, dask, memory_checks) -> tuple[SearchResult, float, float | None]:
        """Run (or continue) the search; every finished trial goes to the run directory at once."""
        history = store.read_trials() if self.resume else []
        spent = max((t.finished_s for t in history), default=0.0)
        end_time = None if self.time_budget is None else started + max(self.time_budget - spent, 0.0)
        if history:
            logger.info("Resuming %s: %d trials read back, %.1f s of the budget already spent.",
                        store.path, len(history), spent)
        refit_factor = REFIT_SAFETY / max(len(data.folds) - 1, 1) if resampling.kind == "cv" else REFIT_SAFETY * 1.5
        reserve = functools.partial(self._reserve, factor=refit_factor)
        parallel = dask is not None
        keep = 0 if parallel else self.keep_models  # dask workers do not hold on to fold models
        if parallel:
            from automl.dask_trials import DaskTrials

            try:
                wait = None if end_time is None else max(end_time - time.monotonic(), 1.0)
                trials = DaskTrials(dask, data, space.to_steps, on_submit=progress.trial_started, timeout_s=wait)
            except InputError as problem:  # the search goes on in this process's own worker
                logger.warning("%s Running the trials one at a time instead.", problem)
                dask.close()
                parallel, keep = False, self.keep_models
        if not parallel:
            trials = WorkerTrials(worker, space.to_steps, keep_models=keep > 0, on_submit=progress.trial_started)
        progress.start(history, spent)

        def on_trial(record: TrialRecord, outcome, so_far: list[TrialRecord]) -> None:
            store.add(record, outcome.predictions)
            progress.trial_finished(record)
            left = MODEL_SAVE_LIMIT if end_time is None else end_time - reserve(so_far) - time.monotonic()
            if record.ok and keep > 0 and left > 2.0:
                store.keep_models(so_far, record, keep,
                                  lambda path: trials.save_models(path, min(MODEL_SAVE_LIMIT, left)))

        try:
            result = run_search(
                space, trials, method=self.search, seed=self.seed, end_time=end_time, max_trials=self.max_trials,
                trial_time_limit=self._trial_limit(), initial_configs=[c for c, _ in design], output_dir=smac_dir,
                origins={config_key(c): origin for c, origin in design}, reserve_s=reserve,
                failure_loss=baseline_loss(data), history=history, elapsed_before=spent, on_trial=on_trial,
                predictions=store.read_predictions(history) if history else None,
                min_fraction=self._min_fraction(data),
                skip=memory_checks(self._memory_limit() / (self.n_jobs if parallel else 1),
                                   max(len(train) for train, _ in data.folds)))
        finally:
            if parallel:
                trials.close()
        return result, refit_factor, end_time

    def _store(self, data: _Prepared, metric, resampling: str, pipeline: Pipeline, best: TrialRecord | None,
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
        self.best_pipeline_ = pipeline
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

    def _memory_limit(self) -> float:
        """The per-trial memory limit in MB: as set, or a share of the memory available now."""
        if self.memory_limit_mb is not None:
            return float(self.memory_limit_mb)
        return MEMORY_SHARE * available_memory_mb()

    @staticmethod
    def _memory_checks(space: SearchSpace,
                       data: TrialData) -> Callable[[float, int], Callable[[dict, float], str | None]]:
        """``checks(limit, rows)`` gives ``skip(config, fraction)``: a reason when fitting on ``fraction``
        of ``rows`` rows is estimated (automl.memory) to need more than its worker may add under the
        memory limit ``limit``. The table's facts (distinct values, size in memory) are read once here:
        on a million rows that is seconds."""
        X = data.X
        levels = tuple(int(X[c].nunique()) for c in data.schema.categorical)
        data_mb = X.memory_usage(deep=True).sum() / 2**20
        itemsize = 4 if set(data.schema.float32) == set(data.schema.numeric) and not data.schema.categorical else 8
        valid_rows = max(len(valid) for _, valid in data.folds)

        def checks(limit: float, rows: int) -> Callable[[dict, float], str | None]:
            shape = TableShape(rows=rows, n_numeric=len(data.schema.numeric), categorical_levels=levels,
                               n_classes=data.n_classes, itemsize=itemsize, valid_rows=valid_rows)
            room = headroom_mb(limit, data_mb)

            def skip(config: dict, fraction: float) -> str | None:
                need = estimate_mb(space.to_steps(config), shape, fraction)
                if need <= room:
                    return None
                return (f"MemoryEstimate: skipped, predicted to need {need:,.0f} MB where a trial may add "
                        f"{max(room, 0):,.0f} MB under its memory limit of {limit:,.0f} MB")

            return skip

        return checks

    def _min_fraction(self, data: TrialData) -> float | None:
        """The smallest data fraction of a multi-fidelity search, or None for one at full data only.

        "auto": on for SMAC when a training fold holds at least MULTI_FIDELITY_ROWS rows, where a
        fit on a ninth of them is cheap and already telling.
        """
        if self.search != "smac" or self.multi_fidelity is False:
            return None
        fold_rows = min(len(train) for train, _ in data.folds)
        if self.multi_fidelity is True or fold_rows >= MULTI_FIDELITY_ROWS:
            return MIN_FRACTION
        return None

    def _reserve(self, trials: list[TrialRecord], factor: float) -> float:
        """Seconds the search leaves for the final model: the refit of the best trial and, for a refit
        ensemble, of the next best ones it will likely use (each part at most a share of the budget;
        a best whose refit would not fit in its share is passed over for the next best at the end)."""
        ranked = sorted((t for t in trials if t.ok), key=lambda t: (t.loss, t.trial_id))
        if not ranked:
            return 1.0
        need = full_fit_seconds(ranked[0]) * factor
        if self.time_budget is not None:  # a best too slow to refit in this share gives way to the next best
            need = min(need, BEST_RESERVE_SHARE * self.time_budget)
        if self.ensemble_size and self.time_budget is not None:  # + a worker restart and the selection itself
            share = ENSEMBLE_RESERVE_SHARE * self.time_budget  # a member that could never be refit in it is not counted
            refits = [full_fit_seconds(t) * factor for t in ranked[1:ENSEMBLE_RESERVE_TRIALS]]
            need += min(sum(r for r in refits if r <= share) + ENSEMBLE_OVERHEAD_S, share)
        return 1.0 + need

    def _dask_connection(self):
        """With n_jobs > 1 or a dask_address, a dask client connecting in the background; else None."""
        if self.n_jobs == 1 and not self.dask_address:
            return None
        from automl.dask_trials import DaskConnection

        return DaskConnection(self.n_jobs, self.dask_address, self._memory_limit() / self.n_jobs)

    def _extra_metric_names(self, task: str) -> tuple[str, ...]:
        if self.extra_metrics is None:
            return SCORED_ALONGSIDE[task]
        return tuple(self.extra_metrics)

    def _trial_limit(self) -> float:
        if self.trial_time_limit is not None:
            return float(self.trial_time_limit)
        if self.time_budget is None:
            return NO_BUDGET_TRIAL_LIMIT
        return max(MIN_TRIAL_LIMIT, self.time_budget * TRIAL_LIMIT_SHARE)

    def _build_space(self, data: _Prepared, n_classes: int, folds) -> SearchSpace:
        shape = DataShape(n_rows=len(data.X), fold_rows=min(len(train) for train, _ in folds),
                          n_features=len(data.schema.columns), n_classes=n_classes)
        return build_space(data.task, shape, has_categorical=bool(data.schema.categorical),
                           include=tuple(self.include or ()), exclude=tuple(self.exclude or ()),
                           extra_dirs=(self.search_space_dir,) if self.search_space_dir else ())

    def _check_params(self) -> None:
        for name, unit in (("time_budget", "seconds"), ("trial_time_limit", "seconds"), ("memory_limit_mb", "megabytes")):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
                raise InputError(f"{name} must be a positive number of {unit}, got {value!r}.")
        if self.max_trials is not None and not (isinstance(self.max_trials, (int, np.integer)) and self.max_trials > 0):
            raise InputError(f"max_trials must be a positive integer, got {self.max_trials!r}.")
        if self.time_budget is None and self.max_trials is None:
            raise InputError("Give a time_budget, a max_trials, or both; with neither the search would never stop.")
        for name in ("keep_models", "ensemble_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, np.integer)) and value >= 0):
                raise InputError(f"{name} must be a non-negative integer, got {value!r}.")
        if not isinstance(self.verbose, (bool, int, np.integer)) or self.verbose < 0:
            raise InputError(f"verbose must be 0 (quiet) or 1 (show progress), got {self.verbose!r}.")
        check_warm_start(self.warm_start)
        if self.metabase is not None and not Path(self.metabase).exists():
            raise InputError(f"Metabase not found: {self.metabase}.")
        if self.multi_fidelity not in ("auto", True, False):
            raise InputError(f"multi_fidelity must be 'auto', True or False, got {self.multi_fidelity!r}.")
        if self.multi_fidelity is True and self.search != "smac":
            raise InputError("multi_fidelity=True needs search='smac' (random search evaluates on all rows).")
        if self.remember not in (None, True, False):
            raise InputError(f"remember must be True, False or None (then ${REMEMBER_ENV} decides), got {self.remember!r}.")
        if self.resume and not self.run_dir:
            raise InputError("resume=True needs run_dir, the directory of the run to continue.")
        if isinstance(self.extra_metrics, str):
            raise InputError(f"extra_metrics must be a list of metric names, not the string {self.extra_metrics!r}.")
        if self.search not in SEARCH_METHODS:
            raise InputError(f"Unknown search {self.search!r}; choose one of {', '.join(SEARCH_METHODS)}.")
        if isinstance(self.n_jobs, bool) or not (isinstance(self.n_jobs, (int, np.integer)) and self.n_jobs >= 1):
            raise InputError(f"n_jobs must be a positive integer, got {self.n_jobs!r}.")
        if self.resampling not in (None, "cv", "holdout"):
            raise InputError(f"Unknown resampling {self.resampling!r}; choose 'cv', 'holdout' or leave it unset.")
        for option in ("include", "exclude"):
            if isinstance(getattr(self, option), str):
                raise InputError(f"{option} must be a list of component names, not the string {getattr(self, option)!r}.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed inside the pipelines
        tags.non_deterministic = self.time_budget is not None  # a wall-clock budget steers the search
        return tags

    def _prepare(self, X, y) -> _Prepared:
        if y is None:
            raise InputError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        frame = as_frame(X)
        if not isinstance(y, pd.Series):
            y = column_or_1d(y, warn=True)
        columns = list(frame.columns)
        name = str(y.name) if isinstance(y, pd.Series) and y.name is not None else None
        frame, target, task = clean_target(frame, y, self._task_for(y))
        if len(frame) < 2:
            raise InputError(f"Need at least 2 rows with a target to learn from, got {len(frame)}.")
        schema = with_float32(frame, infer_schema(frame))
        features = prepare_features(frame, schema)
        if task == "regression":
            return _Prepared(features, target.to_numpy(dtype=np.float64), task, schema, columns, None,
                             isinstance(X, pd.DataFrame), name)
        encoder = LabelEncoder().fit(target.to_numpy())
        codes = encoder.transform(target.to_numpy()).astype(np.int64)
        if np.bincount(codes).max() < 2:
            raise InputError("Every class has a single row; validation needs at least two rows of some class.")
        return _Prepared(features, codes, task, schema, columns, encoder.classes_, isinstance(X, pd.DataFrame), name)

    def _final_predictor(self, worker: TrialWorker, space: SearchSpace, result: SearchResult,
                         data: TrialData, hard_end: float | None, factor: float, progress: Progress, memory_checks):
        """The predictor to return, the trial it is built around, the ensemble weights by trial id, and
        the share of the rows the best was refit on (below 1 when the time left was too short for all).

        Ensemble members are optional, so they must be done by the budget itself: the 5 % slack
        and the grace seconds before ``hard_end`` are for the best's refit (a killed worker's
        restart) and for the unexpected, so the whole process (reading the data, predicting) can
        end within the budget x 1.05 too.
        """
        members_end = None if hard_end is None else hard_end - REFIT_GRACE - self.time_budget * BUDGET_SLACK
        progress.phase("refitting the best pipeline on all rows")
        too_big = memory_checks(self._memory_limit(), len(data.y))  # a refit sees every row (or a share)
        pipeline, best, fraction = refit_best(worker, space, result.trials, data, hard_end, factor, too_big,
                                              share_end=members_end)
        if best is None:
            return pipeline, None, {}, 1.0
        if not self.ensemble_size:
            return pipeline, best, {best.trial_id: 1.0}, fraction
        progress.phase("building the ensemble")
        ensemble, weights = refit_ensemble(worker, space, result, data, self.ensemble_size, pipeline, best,
                                           members_end, factor, too_big)
        return ensemble, best, weights, fraction

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

    def _task_for(self, y) -> str:
        n_classes = pd.Series(np.asarray(y)).dropna().nunique()
        return "binary" if n_classes <= 2 else "multiclass"

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

    def predict(self, X) -> np.ndarray:
        features = self._features_for_predict(X)
        if self.best_config_ is None:
            return self.best_pipeline_.predict(np.zeros((len(features), 1)))
        return predict(self.best_pipeline_, features, None)
