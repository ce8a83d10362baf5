"""The final predictor: the best trial refit on all rows (or on as many as the time left
allows), or an ensemble of the best trials.

Everything here runs after the search and before the budget's end: each refit runs in the
trial worker (isolated, limited in time and memory like a trial), and whatever cannot finish
by the deadline is left out rather than overrunning it. Members are refit on all rows: averaging
each member's fold models instead was measured (benchmarks/ensemble_vs_single.py, see README):
run directories of 180-490 MB, prediction about 5 times slower, and fits well over the budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from automl.ensemble import WeightedEnsemble, select_weights
from automl.errors import InputError
from automl.files import load_fitted
from automl.metrics import Metric, get_metric
from automl.records import TrialRecord, rank_key, ranked
from automl.run.budget import REFIT_SAFETY, Budget, full_fit_seconds
from automl.trials.evaluation import TrialData
from automl.trials.outcomes import TrialStopped
from automl.trials.worker import TrialWorker

logger = logging.getLogger(__name__)

PARTIAL_REFIT_MARGIN = 1.5  # a refit on a share of the rows is planned this much longer than its estimate:
# on a million rows an MLP's refit outran the estimate (its time over its fraction, x1.5) by 26 s or more
READ_START_S, READ_S_PER_MB = 1.0, 0.3  # reading kept fold models: their library's import, then per megabyte
# (measured: 1.26 MB of XGBoost fold models read in 1.3 s the first time, 0.3 s after)


@dataclass(frozen=True)
class Refits:
    """How trials are refit: in the ``worker`` (isolated and limited like a trial), from a configuration's
    steps (``to_steps``); ``too_big(config, fraction)`` gives a reason when a refit is estimated to exceed
    the memory limit."""

    worker: TrialWorker
    to_steps: Callable[[dict], dict]
    too_big: Callable[[dict, float], str | None] = lambda config, fraction: None
    kept: Callable[[int], Path | None] = lambda trial_id: None  # the file of a trial's fold models, if kept


def refit_best(refits: Refits, trials: list[TrialRecord], data: TrialData,
               budget: Budget) -> tuple[Pipeline, TrialRecord | None, float]:
    """Refit the best trial on all rows, in the worker, and return it with the share of rows it saw.

    When there is no time for all rows, the best is refit on as many as the time left allows, but
    never fewer than it was validated on (a multi-fidelity trial may have shown its loss on a
    ninth of them): more rows than that only help. That share is sized to end by the budget itself
    (``members_end``), leaving the slack before ``final_end`` for an estimate that was short.
    With its fold models kept, the refit is tried on the estimate without its safety margin (REFIT_SAFETY),
    and with no time for either, or a refit cut at the deadline, its own fold models predict, averaged
    (``fold_models``; of repeated folds, the first repeat's): what was validated, and better than a weaker trial refit (on a 1,500 x 400, 8-class
    table at 30 s, LightGBM's refit did not fit where its holdout model scored 0.54 log loss, and the
    logistic regression refit instead scored 0.78). Failing that, the next best, and so on.
    A worker killed at the end of the search is started again for the refit (its start-up is
    what the budget's few extra seconds are for). With nothing refit, a constant predictor (the weighted class shares or mean).
    """
    for trial in ranked(trials):
        # with its fold models to fall back on, a refit is tried on the estimate without its safety margin,
        # by the budget's end itself: the slack after it is for the fallback, read only if needed (five
        # XGBoost models and their library took 3.7 s in a fresh process). When the slack is too short to
        # read them, they are read first only if the refit is not expected to fit anyway (on Titanic,
        # reading 15 forests first took the 7 s their refit needed less than one of)
        kept = refits.kept(trial.trial_id)
        exists = kept is not None and kept.is_file()
        later = exists and _read_in_slack(kept, budget)
        first = exists and not later and not _fits_by(refits, trial, budget.final_end, budget.refit_factor)
        folds = fold_models(refits, trial, data) if first else None
        backed = later or folds is not None
        factor = budget.refit_factor / (REFIT_SAFETY if backed else 1.0)
        fitted = _refit_in_time(refits, trial, budget.members_end if backed else budget.final_end, factor,
                                min_fraction=trial.fraction, share_end=budget.members_end)
        if fitted is not None:
            return fitted[0], trial, fitted[1]
        if exists and not first and (later or _read_seconds(kept) <= (Budget.seconds_until(budget.final_end) or 0.0)):
            folds = fold_models(refits, trial, data)  # the refit failed early (memory, an error): time to read them
        if folds is not None:
            logger.info("Trial %d could not be refit in time: its %d fold model(s) predict instead.", trial.trial_id,
                        len(folds.members))
            return folds, trial, trial.fraction * min(len(train) for train, _ in data.folds) / len(data.y)
    logger.warning("No configuration could be refit within the budget; falling back to a constant predictor.")
    dummy = DummyRegressor() if data.task == "regression" else DummyClassifier(strategy="prior")
    return Pipeline([("model", dummy)]).fit(np.zeros((len(data.y), 1)), data.y, **data.fit_params()), None, 1.0


def _fits_by(refits: Refits, trial: TrialRecord, end: float | None, factor: float) -> bool:
    """Whether the trial's refit on all rows is expected to finish by ``end`` (with a worker's restart)."""
    left = Budget.seconds_until(end)
    startup = 0.0 if refits.worker.alive else refits.worker.startup_s
    return left is None or full_fit_seconds(trial) * factor + startup <= left


def _read_in_slack(path: Path, budget: Budget) -> bool:
    """Whether the kept fold models in ``path`` can be read between the members' end and the final end."""
    if budget.final_end is None or budget.members_end is None:
        return True
    return budget.final_end - budget.members_end >= _read_seconds(path)


def _read_seconds(path: Path) -> float:
    """The seconds reading the fold models in ``path`` is expected to take."""
    return READ_START_S + READ_S_PER_MB * path.stat().st_size / 2**20


def fold_models(refits: Refits, trial: TrialRecord, data: TrialData) -> WeightedEnsemble | None:
    """The trial's kept fold models as one predictor (their average); None when they are not kept, do not
    read, or one of them was fit on a fold that lacked a class (its class codes differ)."""
    path = refits.kept(trial.trial_id)
    if path is None or not path.is_file():
        return None
    try:
        kept = load_fitted(path, "trial's fold models")
    except InputError:
        return None
    n_classes = None if data.task == "regression" else data.n_classes
    if not kept or any(codes is not None and not np.array_equal(codes, np.arange(n_classes)) for _, codes in kept):
        return None
    return WeightedEnsemble([pipeline for pipeline, _ in kept], [1.0] * len(kept), n_classes)


def beats_constant(trials: list[TrialRecord], predictions: dict[int, np.ndarray], constant_loss: float) -> dict[int, np.ndarray]:
    """The kept predictions of the trials whose loss beats a constant predictor's (``constant_loss``): the
    ensemble's candidates. Averaging a weak trial in can look like calibration on the validation rows
    (an over-confident model's mistakes softened), yet it only adds noise; all of them if none beats it."""
    margin = 1e-6 * max(1.0, abs(constant_loss))  # kept predictions are float32: the constant itself scores about level
    better = {t.trial_id for t in trials if t.ok and t.loss < constant_loss - margin}
    return {i: p for i, p in predictions.items() if i in better} or predictions


def ranks_better_than_chance(predictions: dict[int, np.ndarray], y: np.ndarray,
                             weights: np.ndarray | None = None) -> dict[int, np.ndarray]:
    """The binary predictions whose ROC AUC beats a constant's 0.5: the candidates when the ensemble is
    selected by AUC and its threshold tuned (at 0.5 a good ranker of a rare class may label nothing
    positive and score no better than a constant); all of them if none does."""
    auc = get_metric("roc_auc", "binary")
    kept = {}
    for trial_id, values in predictions.items():
        rows = np.isfinite(values).all(axis=1)
        try:
            if auc.loss(y[rows], values[rows], None if weights is None else weights[rows]) < 0.5 - 1e-6:
                kept[trial_id] = values
        except ValueError:  # one class among the predicted rows: no AUC
            continue
    return kept or predictions


def refit_ensemble(refits: Refits, trials: list[TrialRecord], predictions: dict[int, np.ndarray], data: TrialData,
                   best: tuple[TrialRecord, Pipeline], *, rounds: int, budget: Budget,
                   selection_metric: Metric | None = None
                   ) -> tuple[Pipeline | WeightedEnsemble, dict[int, float], dict[int, float]]:
    """Caruana selection over the kept out-of-fold ``predictions`` (a new member only while the ensemble's
    predict cost, by the trials' validation times, stays within ``automl.ensemble.PREDICT_COST_RATIO``
    of its first member's), then each member refit in the worker while time is left (until the
    budget's ``members_end``); members that do not fit in time are dropped (the rest re-weighted).
    ``best`` is the best trial and its refit pipeline; ``selection_metric`` (default: the run's) scores the
    candidate averages. Returns the predictor, its members' weights, and the weights selection chose
    (more members than the predictor's when some could not be refit in time)."""
    by_id = {t.trial_id: t for t in trials}
    order = [t.trial_id for t in sorted((by_id[i] for i in predictions), key=rank_key)]
    weights = select_weights(predictions, order, data.y, selection_metric or data.metric, rounds, budget.members_end,
                             costs={i: by_id[i].predict_seconds for i in order}, sample_weight=data.weights)
    best_trial, pipeline = best
    fitted = {best_trial.trial_id: pipeline}
    for trial_id in sorted(weights, key=lambda i: (-weights[i], i)):
        if trial_id not in fitted:
            member = _refit_in_time(refits, by_id[trial_id], budget.members_end, budget.refit_factor)
            if member is not None:
                fitted[trial_id] = member[0]
    logger.info("Ensemble selection chose %d trial(s); %d of them refit in time.", len(weights),
                sum(1 for i in weights if i in fitted))
    return (*(_assemble(fitted, weights, data) or (pipeline, {best_trial.trial_id: 1.0})), weights)


def _assemble(fitted: dict, weights: dict[int, float], data: TrialData):
    """The weighted ensemble of the members that were fitted, weights re-normalised; None below two."""
    members = {i: w for i, w in weights.items() if i in fitted}
    if len(members) < 2:
        return None
    total = sum(members.values())
    parts = [(model, w * share) for i, w in members.items()  # a member's fold models go in as members
             for model, share in (zip(fitted[i].members, fitted[i].weights) if isinstance(fitted[i], WeightedEnsemble)
                                  else [(fitted[i], 1.0)])]
    ensemble = WeightedEnsemble([m for m, _ in parts], [w for _, w in parts],
                                None if data.task == "regression" else data.n_classes)
    return ensemble, {i: w / total for i, w in members.items()}


def _refit_in_time(refits: Refits, trial: TrialRecord, end: float | None, factor: float,
                   min_fraction: float = 1.0, share_end: float | None = None) -> tuple[Pipeline, float] | None:
    """The trial refit in the worker, on all rows if that can finish by ``end``, else on the
    largest share of them (at least ``min_fraction``) that can finish by ``share_end``, with that
    share; None if neither can, the refit is estimated to exceed the memory limit, or it fails."""
    left = Budget.seconds_until(end)
    fraction, share_left = 1.0, left
    if not _fits_by(refits, trial, end, factor):
        startup = 0.0 if refits.worker.alive else refits.worker.startup_s
        share_left = left if share_end is None else min(share_end - time.monotonic(), left)
        fraction = (share_left - startup) / (max(full_fit_seconds(trial) * factor, 1e-9) * PARTIAL_REFIT_MARGIN)
        if fraction < min_fraction:
            return None
    reason = refits.too_big(trial.config, fraction)
    if reason is not None:
        logger.info("Trial %d is not refit: %s.", trial.trial_id, reason.split(": ", 1)[-1])
        return None
    if fraction < 1.0:
        logger.info("Trial %d is refit on %.0f%% of the rows: all of them would take about %.0f s, %.0f s are left.",
                    trial.trial_id, 100 * fraction, full_fit_seconds(trial) * factor, share_left)
    try:
        return refits.worker.run("refit", (refits.to_steps(trial.config), fraction), left), fraction
    except TrialStopped as failure:
        logger.warning("Refit of trial %d failed (%s).", trial.trial_id, failure)
        return None
