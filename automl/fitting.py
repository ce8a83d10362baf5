"""The steps of one fit, each a function ``AutoClassifier.fit`` calls in order: open the run, build
the space, search, build the final predictor. The estimator holds the parameters; these hold the
work. Every deadline comes from one ``Budget``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from automl.data import TrainingData, summarise_data
from automl.ensemble import WeightedEnsemble
from automl.errors import InputError
from automl.files import library_versions
from automl.metalearning.warmstart import check_warm_start
from automl.metrics import Metric
from automl.records import FinalMember, FinalSummary, ScoreEstimate, TrialRecord, ranked
from automl.report.progress import Progress
from automl.run.budget import Budget, refit_factor
from automl.run.curve import curve_share, step_to_all_rows, stepped
from automl.run.estimate import estimate_selection, selection_metric
from automl.run.final import Refits, beats_constant, ranks_better_than_chance, refit_best, refit_ensemble
from automl.run.store import RunStore, data_fingerprint
from automl.run.threshold import tune_threshold, tunes_threshold
from automl.search.cost import CostModel, typical_trial_seconds
from automl.search.loop import History, SearchSettings, run_search
from automl.search.result import KEEP_PREDICTIONS, SearchResult
from automl.settings import SEARCH_METHODS, RunSettings
from automl.space.bounds import DataShape
from automl.space.configspace import SearchSpace, build_space
from automl.trials.evaluation import TrialData
from automl.trials.memory_policy import Skip, memory_checks
from automl.trials.resampling import Resampling, check_cv, choose_resampling, resampling_for
from automl.trials.runners import WorkerTrials, open_trials
from automl.trials.worker import TrialWorker

logger = logging.getLogger(__name__)

REMEMBER_ENV = "AUTOML_REMEMBER_RUNS"  # =1: every finished run joins the user's metabase
MULTI_FIDELITY_ROWS = 100_000  # multi_fidelity="auto" turns on when a training fold holds at least this many rows
MIN_FRACTION = 1 / 9           # ... and successive halving then starts on a ninth of each fold


def open_run(params: dict[str, Any], estimator: str, data: TrainingData, metric: Metric) -> tuple[RunStore, Resampling]:
    """Create the run directory, or reopen it to resume (then the run's resampling is kept).
    ``params`` are the estimator's parameters (``get_params()``)."""
    columns = {c: data.schema.kind(c) for c in data.schema.columns}
    fingerprint = data_fingerprint(data.X, data.y, columns)
    fingerprint["summary"] = summarise_data(data.X, data.y, data.schema, data.classes)
    for name in ("weights", "groups"):  # other weights or groups, other losses: a resume must bring the same
        values = getattr(data, name)
        if values is not None:
            fingerprint[name] = hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:16]
    resampling = resampling_for(params["cv"], params["resampling"], data.groups is not None)
    if resampling is None:  # the rule decides: by rows, cells and predicted trial seconds
        trial_seconds = typical_trial_seconds(data.task, len(data.schema.columns), data.n_classes, params["metabase"])
        resampling = choose_resampling(len(data.X), data.X.shape[1], params["time_budget"], params["resampling"],
                                       trial_seconds)
        time_ordered = params["cv"] == "time"
        if (time_ordered or data.groups is not None) and resampling.repeats > 1:  # forward in time splits one way;
            resampling = Resampling("cv", resampling.n_splits)  # few groups shuffle into the same folds again
        resampling = replace(resampling, time_ordered=time_ordered, grouped=data.groups is not None)
    if resampling.reason:
        logger.info("Validating by %s.", resampling.describe())
    cv = params["cv"]
    params = {**params, "metric": metric.name if params["metric"] is not None else None,  # a scorer or a
              "cv": cv if cv is None or isinstance(cv, (str, int)) else repr(cv)}          # splitter by its repr
    settings = RunSettings(estimator, data.task, metric.name, params, target=data.target_name,
                           validation=resampling.record(), versions=library_versions(), columns=data.named)
    run_dir = Path(params["run_dir"]) if params["run_dir"] else None
    if params["resume"]:  # the run's own resampling is kept
        store = RunStore.reopen(run_dir, settings, fingerprint)
        kept = Resampling(**store.settings.validation)
        if kept.kind == "splitter" and kept.splitter != resampling.splitter:
            raise InputError(f"Cannot resume {run_dir}: its run was validated by the splitter {kept.splitter}; "
                             "pass the same one as cv.")
        return store, kept
    return RunStore.create(run_dir, settings, fingerprint), resampling


def data_space(data: TrainingData, folds, *, include, exclude, search_space_dir: str | None) -> SearchSpace:
    """The search space for this data's shape, narrowed or widened as the user asked."""
    counts = np.bincount(data.y, minlength=2) if data.task == "binary" else np.ones(2)
    shape = DataShape(n_rows=len(data.X), fold_rows=min(len(train) for train, _ in folds),
                      n_features=len(data.schema.columns), n_classes=data.n_classes,
                      negative_per_positive=round(float(counts[0] / max(counts[1], 1)), 4))
    return build_space(data.task, shape, has_categorical=bool(data.schema.categorical),
                       has_dates=bool(data.schema.dates), has_text=bool(data.schema.text),
                       include=tuple(include or ()), exclude=tuple(exclude or ()),
                       extra_dirs=(search_space_dir,) if search_space_dir else (),
                       weighted=data.weights is not None)


def make_budget(started: float, history: list[TrialRecord], folds, n_rows: int, params: dict[str, Any]) -> Budget:
    """The fit's budget; a resumed run's counts the time its earlier sessions (``history``) spent."""
    return Budget(params["time_budget"], started, spent_before=max((t.finished_s for t in history), default=0.0),
                  trial_time_limit=params["trial_time_limit"],
                  refit_factor=refit_factor(n_rows, sum(len(train) for train, _ in folds)),
                  ensemble=bool(params["ensemble_size"]), curve_share=curve_share(folds))


def min_fraction(multi_fidelity, search: str, data: TrialData) -> float | None:
    """The smallest data fraction of a multi-fidelity search, or None for one at full data only.

    "auto": on for SMAC when a training fold holds at least MULTI_FIDELITY_ROWS rows, where a fit on
    a ninth of them is cheap and already telling.
    """
    if search != "smac" or multi_fidelity is False:
        return None
    fold_rows = min(len(train) for train, _ in data.folds)
    return MIN_FRACTION if multi_fidelity is True or fold_rows >= MULTI_FIDELITY_ROWS else None


@dataclass(frozen=True)
class SearchPlan:
    """What ``search`` runs: the space, the data, the design and settings, and where trials run."""

    space: SearchSpace
    data: TrialData
    design: list[tuple[dict, str]]
    settings: SearchSettings
    keep_models: int
    memory_limit_mb: float  # of one trial in the worker; dask workers share it (n_jobs of them)
    n_jobs: int = 1
    cost: CostModel | None = None  # predicted trial seconds: what the search skips (automl.search.cost)

    @functools.cached_property
    def memory_checks(self) -> Callable[[float, int], Skip]:
        """``memory_checks(limit, rows)``: the estimate's skip rule (the table's facts are read once)."""
        return memory_checks(self.space.to_steps, self.data)


def search(plan: SearchPlan, store: RunStore, history: list[TrialRecord], budget: Budget, worker: TrialWorker, dask,
           progress: Progress) -> SearchResult:
    """Run (or continue, after the ``history`` of earlier sessions) the search; every finished trial goes
    to the run directory at once."""
    if history:
        logger.info("Resuming %s: %d trials read back, %.1f s of the budget already spent.",
                    store.path, len(history), budget.spent_before)
    trials = open_trials(worker, dask, plan.data, plan.space.to_steps, keep_models=plan.keep_models,
                         on_submit=progress.trial_started,
                         wait_s=None if budget.search_end is None else max(budget.search_end - time.monotonic(), 1.0))
    keep = plan.keep_models if trials.keep_models else 0
    progress.start(history, budget.spent_before)

    def on_trial(record: TrialRecord, outcome, so_far: list[TrialRecord]) -> None:
        store.add(record, outcome.predictions)
        progress.trial_finished(record)
        left = budget.model_save_limit_s(so_far, record.trial_id)
        if record.ok and keep > 0 and left > 2.0:
            store.keep_models(so_far, record, keep, lambda path: trials.save_models(path, left))

    share = 1 if isinstance(trials, WorkerTrials) else plan.n_jobs  # dask workers split the memory
    skip = plan.memory_checks(plan.memory_limit_mb / share,
                                                         max(len(train) for train, _ in plan.data.folds))
    resumed = History(history, store.read_predictions(history, KEEP_PREDICTIONS) if history else {},
                      budget.spent_before)
    try:
        return run_search(plan.space, trials, plan.settings, budget, design=plan.design, history=resumed,
                          on_trial=on_trial, skip=skip, cost=plan.cost)
    finally:
        trials.close()


@dataclass(frozen=True)
class FinalModel:
    """The predictor to return, the trial it is built around, its weights by trial id, the share of
    the rows the best was refit on (below 1 when the time left was too short for all), and what was
    saved with its estimated score (``summary``)."""

    predictor: Any
    best: TrialRecord | None
    weights: dict[int, float]
    refit_fraction: float
    summary: FinalSummary
    threshold: float | None = None  # the binary decision threshold on P(second class), tuned for a label metric


def final_predictor(plan: SearchPlan, result: SearchResult, budget: Budget, worker: TrialWorker,
                    progress: Progress, ensemble_size: int,
                    kept: Callable[[int], Path | None] = lambda trial_id: None) -> FinalModel:
    """The best trial refit on all rows (or the largest share the time allows), then, with an
    ``ensemble_size``, Caruana's ensemble of the best trials (each member refit while time is left),
    and the nested out-of-fold estimate of that choice (``automl.run.estimate``), stepped along the learning
    curve to all rows where time allows (``automl.run.curve``). For a binary metric of
    labels (F1, accuracy) two choices are estimated: the ensemble selected by the metric at the 0.5
    threshold, or selected by ROC AUC with the threshold then tuned; the better one is built. A trial no
    better than a constant predictor (the run's failure yardstick) is never a candidate.

    Ensemble members are optional, so they must be done by the budget itself (``members_end``): the
    slack before ``final_end`` is for the best's refit (a killed worker's restart) and for the
    unexpected, so the whole process (reading the data, predicting) ends within the budget x 1.05 too.
    """
    progress.phase("refitting the best pipeline on all rows")
    too_big = plan.memory_checks(plan.memory_limit_mb, len(plan.data.y))
    refits = Refits(worker, plan.space.to_steps, too_big, kept)
    pipeline, best, fraction = refit_best(refits, result.trials, plan.data, budget)
    if best is None:
        return FinalModel(pipeline, None, {}, 1.0, FinalSummary((), None))
    predictor, weights = pipeline, {best.trial_id: 1.0}
    labels = tunes_threshold(plan.data.metric, plan.data.task)
    at_half_candidates = beats_constant(result.trials, result.predictions, plan.settings.failure_loss)
    ranking_candidates = ranks_better_than_chance(result.predictions, plan.data.y, plan.data.weights) if labels \
        else at_half_candidates

    def estimate(threshold: bool, among: dict[int, float] | None = None) -> ScoreEstimate | None:
        candidates = ranking_candidates if threshold else at_half_candidates
        if among is not None:  # the final model is not what the selection chose: estimate the one saved
            candidates = {i: result.predictions[i] for i in among if i in result.predictions}
        rounds = ensemble_size if among is None or len(among) > 1 else 0
        return estimate_selection([t.trial_id for t in ranked(result.trials)], candidates, plan.data.y,
                                  plan.data.metric, rounds=rounds, seed=plan.data.seed, deadline=budget.final_end,
                                  costs={t.trial_id: t.predict_seconds for t in result.trials},
                                  sample_weight=plan.data.weights, groups=plan.data.groups, folds=plan.data.folds,
                                  threshold=threshold)

    at_half = retuned = None  # a label metric: select at 0.5, or by ROC AUC then tune the threshold: the better nested
    if labels:
        progress.phase("choosing the decision threshold")
        at_half, retuned = estimate(False), estimate(True)
        logger.info("Nested %s: %s at 0.5, %s with a tuned threshold.", plan.data.metric.name,
                    at_half and f"{at_half.value:.4f}", retuned and f"{retuned.value:.4f}")
    tuned = retuned is not None and (at_half is None or retuned.value > at_half.value)
    predictions = ranking_candidates if tuned else at_half_candidates
    chosen = {ranked(result.trials)[0].trial_id: 1.0}  # what the selection chose (the best, its members) ...
    if ensemble_size:
        progress.phase("building the ensemble")
        predictor, weights, chosen = refit_ensemble(refits, result.trials, predictions, plan.data, (best, pipeline),
                                            rounds=ensemble_size, budget=budget,
                                            selection_metric=selection_metric(plan.data.metric, tuned))
    threshold = None
    if tuned and all(i in predictions for i in weights):
        combined = sum(w * np.asarray(predictions[i], dtype=np.float64) for i, w in weights.items())
        rows = np.isfinite(combined).all(axis=1)  # a holdout predicts a third of them
        threshold = tune_threshold(combined[rows], plan.data.y[rows], plan.data.metric,
                                   None if plan.data.weights is None else plan.data.weights[rows])
        logger.info("Decision threshold %.3f on P(second class), tuned for %s.", threshold, plan.data.metric.name)
    progress.phase("estimating its score")
    if set(weights) == set(chosen):
        score = (retuned if threshold is not None else at_half) if labels else estimate(False)
    else:  # ... was not all refit in time: the estimate is of the model saved
        score = estimate(threshold is not None, among=weights)
        logger.info("The final model is not the selection's choice (%s could not be refit in time): estimated "
                    "as saved.", ", ".join(f"trial {i}" for i in sorted(set(chosen) - set(weights))))
    by_id = {t.trial_id: t for t in result.trials}
    folds = {best.trial_id: len(pipeline.members)} if isinstance(pipeline, WeightedEnsemble) else {}  # not refit
    refit_fraction = fraction if best.trial_id in weights else 1.0  # the best's share; other members are refit on all
    if score is not None and refit_fraction == 1.0 and not set(folds) & set(weights):  # all refit on all rows
        step = step_to_all_rows(worker, plan.space.to_steps, weights, by_id, result.predictions, plan.data,
                                threshold=threshold, end=budget.members_end)
        score = score if step is None else stepped(score, step, plan.data.metric)
    members = tuple(FinalMember(i, by_id[i].config["model"], w, folds.get(i, 0))
                    for i, w in sorted(weights.items(), key=lambda m: (-m[1], m[0])))
    return FinalModel(predictor, best, weights, refit_fraction, FinalSummary(members, score, refit_fraction), threshold)


def check_params(params: dict[str, Any]) -> None:
    """One sentence (an InputError) for the first estimator parameter (``get_params()``) that is wrong."""
    p = SimpleNamespace(**params)
    for name, unit in (("time_budget", "seconds"), ("trial_time_limit", "seconds"), ("memory_limit_mb", "megabytes")):
        value = getattr(p, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise InputError(f"{name} must be a positive number of {unit}, got {value!r}.")
    if p.max_trials is not None and not (isinstance(p.max_trials, (int, np.integer)) and p.max_trials > 0):
        raise InputError(f"max_trials must be a positive integer, got {p.max_trials!r}.")
    if p.time_budget is None and p.max_trials is None:
        raise InputError("Give a time_budget, a max_trials, or both; with neither the search would never stop.")
    for name in ("keep_models", "ensemble_size"):
        value = getattr(p, name)
        if isinstance(value, bool) or not (isinstance(value, (int, np.integer)) and value >= 0):
            raise InputError(f"{name} must be a non-negative integer, got {value!r}.")
    if not isinstance(p.verbose, (bool, int, np.integer)) or p.verbose < 0:
        raise InputError(f"verbose must be 0 (quiet) or 1 (show progress), got {p.verbose!r}.")
    check_warm_start(p.warm_start)
    if p.metabase is not None and not Path(p.metabase).exists():
        raise InputError(f"Metabase not found: {p.metabase}.")
    if p.multi_fidelity not in ("auto", True, False):
        raise InputError(f"multi_fidelity must be 'auto', True or False, got {p.multi_fidelity!r}.")
    if p.multi_fidelity is True and p.search != "smac":
        raise InputError("multi_fidelity=True needs search='smac' (random search evaluates on all rows).")
    if p.remember not in (None, True, False):
        raise InputError(f"remember must be True, False or None (then ${REMEMBER_ENV} decides), got {p.remember!r}.")
    if p.resume and not p.run_dir:
        raise InputError("resume=True needs run_dir, the directory of the run to continue.")
    if isinstance(p.extra_metrics, str):
        raise InputError(f"extra_metrics must be a list of metric names, not the string {p.extra_metrics!r}.")
    if p.search not in SEARCH_METHODS:
        raise InputError(f"Unknown search {p.search!r}; choose one of {', '.join(SEARCH_METHODS)}.")
    if isinstance(p.n_jobs, bool) or not (isinstance(p.n_jobs, (int, np.integer)) and p.n_jobs >= 1):
        raise InputError(f"n_jobs must be a positive integer, got {p.n_jobs!r}.")
    if p.resampling not in (None, "cv", "holdout"):
        raise InputError(f"Unknown resampling {p.resampling!r}; choose 'cv', 'holdout' or leave it unset.")
    check_cv(p.cv, p.resampling)
    for option in ("include", "exclude"):
        if isinstance(getattr(p, option), str):
            raise InputError(f"{option} must be a list of component names, not the string {getattr(p, option)!r}.")
