"""The estimate's step along the learning curve, from the fold models' rows to all rows."""

import time

import numpy as np
import pandas as pd
import pytest

from automl.data import infer_schema, prepare_features
from automl.metrics import Metric, get_metric
from automl.records import FinalSummary, ScoreEstimate
from automl.run.curve import curve_folds, step_ratio, step_to_all_rows, stepped
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from automl.trials.evaluation import TrialData, evaluate
from automl.trials.resampling import Resampling, make_folds
from tests.helpers import make_record

RMSE = get_metric("rmse", "regression")
AUC = get_metric("roc_auc", "binary")


class _InProcessWorker:
    """Stands in for the trial worker: evaluates in this process, recording what it was asked."""
    alive, startup_s = True, 0.0

    def __init__(self, data):
        self.data, self.asked = data, []

    def run(self, kind, payload, timeout_s):
        steps, keep, fraction, limit_s, only = payload
        self.asked.append((kind, fraction, only))
        return evaluate(steps, self.data, None, fraction, limit_s, only)


def _curve_table(resampling=Resampling("cv", 5)):
    """A smooth target that a nearest-neighbour model learns better the more rows it has."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.uniform(-3, 3, 300), "b": rng.uniform(-3, 3, 300)})
    y = np.sin(frame.a.to_numpy()) * 3 + frame.b.to_numpy() ** 2
    schema = infer_schema(frame)
    folds = make_folds(resampling, y, classification=False, seed=0)
    data = TrialData(prepare_features(frame, schema), y, schema, "regression", 0, folds, RMSE, 0)
    space = build_space("regression", DataShape(300, 240, 2, 0), has_categorical=False,
                        include=("k_nearest_neighbors", "no_preprocessing", "simple_imputer"))
    config = next(c for c in space.default_configs() if c["model"] == "k_nearest_neighbors")
    return data, space, config


def test_the_step_measures_a_rising_curve_on_two_folds_at_half_their_rows():
    data, space, config = _curve_table()
    full = evaluate(space.to_steps(config), data)
    trial = make_record(0, config, "smac", full.loss, full.fit_seconds)
    worker = _InProcessWorker(data)
    step = step_to_all_rows(worker, space.to_steps, {0: 1.0}, {0: trial}, {0: full.predictions}, data)
    assert worker.asked == [("evaluate", 0.5, (0, 1))]  # half of two folds' rows; the full size was kept
    assert step < 0  # more rows, lower RMSE
    # the step is R times the score's change from half the rows to the folds' rows, on those folds' rows
    rows = np.isin(np.arange(300), np.concatenate([data.folds[k][1] for k in (0, 1)]))
    half = evaluate(space.to_steps(config), data, fraction=0.5, only=(0, 1)).predictions
    change = RMSE.score(data.y[rows], full.predictions[rows]) - RMSE.score(data.y[rows], half[rows])
    assert step == pytest.approx(step_ratio(0.8) * change, rel=1e-5)


def test_with_groups_the_step_uses_the_share_the_whole_groups_held_and_none_where_they_hold_all():
    import dataclasses

    from automl.trials.evaluation import subsample

    data, space, config = _curve_table()
    groups = np.repeat(np.arange(12), [60, 40, 30, 30, 25, 25, 20, 20, 15, 15, 10, 10])  # uneven groups
    folds = make_folds(Resampling("cv", 5), data.y, classification=False, seed=0, groups=groups)
    grouped = dataclasses.replace(data, folds=folds, groups=groups)
    full = evaluate(space.to_steps(config), grouped)
    trial = make_record(0, config, "smac", full.loss, full.fit_seconds)
    step = step_to_all_rows(_InProcessWorker(grouped), space.to_steps, {0: 1.0}, {0: trial}, {0: full.predictions}, grouped)
    held = np.mean([len(subsample(folds[k][0], 0.5, 0, None, groups)) / len(folds[k][0]) for k in (0, 1)])
    kept = np.mean([len(folds[k][0]) for k in (0, 1)]) / 300
    rows = np.isin(np.arange(300), np.concatenate([folds[k][1] for k in (0, 1)]))
    half = evaluate(space.to_steps(config), grouped, fraction=0.5, only=(0, 1)).predictions
    change = RMSE.score(data.y[rows], full.predictions[rows]) - RMSE.score(data.y[rows], half[rows])
    assert held != 0.5 and step == pytest.approx(step_ratio(kept, half=held) * change, rel=1e-5)
    one_group = dataclasses.replace(grouped, groups=np.zeros(300, dtype=int))  # a "half" would be all the fold's rows
    assert step_to_all_rows(_InProcessWorker(one_group), space.to_steps, {0: 1.0}, {0: trial}, {0: full.predictions},
                            one_group) is None


def test_no_step_without_the_time_for_it_or_for_folds_in_time_order():
    data, space, config = _curve_table()
    trial = make_record(0, config, "smac", 1.0, fit_seconds=5.0)
    worker = _InProcessWorker(data)
    predictions = {0: np.zeros(300)}
    assert step_to_all_rows(worker, space.to_steps, {0: 1.0}, {0: trial}, predictions, data,
                            end=time.monotonic() + 0.5) is None  # planned: 1.5 x 2/5 x 0.5 x 5 s = 1.5 s
    assert worker.asked == []
    n = 300
    in_time = [(np.arange(k * 60), np.arange(k * 60, (k + 1) * 60)) for k in (1, 2, 3, 4)]
    assert curve_folds(in_time) is None  # each fold validates rows after all it fits
    assert curve_folds(in_time[-1:]) is None  # a holdout forward in time too
    shared = make_record(1, config, "smac", 1.0, fraction=1 / 3)  # fit on a third of its folds' rows
    assert step_to_all_rows(worker, space.to_steps, {1: 1.0}, {1: shared}, {1: np.zeros(n)}, data) is None
    full = make_record(2, config, "smac", 1.0)  # a tuned threshold was chosen on these rows at the full size
    assert step_to_all_rows(worker, space.to_steps, {2: 1.0}, {2: full}, {2: np.zeros(n)}, data, threshold=0.3) is None
    assert worker.asked == []


def test_the_curve_folds_of_each_resampling():
    y = np.arange(100.0)
    assert curve_folds(make_folds(Resampling("cv", 5), y, classification=False, seed=0)) == (0, 1)
    assert curve_folds(make_folds(Resampling("holdout", 1), y, classification=False, seed=0)) == (0,)
    repeated = make_folds(Resampling("cv", 5, repeats=3), y, classification=False, seed=0)
    assert len(repeated) == 15 and curve_folds(repeated) == (0, 1)


def test_a_stepped_estimate_says_so_never_passes_the_optimum_and_is_saved_with_its_step():
    estimate = ScoreEstimate("roc_auc", 0.98, "nested out-of-fold", 200)
    up = stepped(estimate, 0.05, AUC)
    assert up.value == 1.0 and up.step == pytest.approx(0.02) and up.rows == 200
    assert str(up) == "roc_auc = 1.0000 (nested out-of-fold, stepped to all rows)"
    assert stepped(ScoreEstimate("rmse", 0.4, "nested out-of-fold"), -0.5, RMSE).value == 0.0
    profit = Metric("profit", ("regression",), lambda y, p: float(np.sum(p)), True, 1.0)  # a scorer's nominal optimum
    assert stepped(ScoreEstimate("profit", 250.0, "nested out-of-fold"), 10.0, profit).value == 260.0  # unbounded
    saved = FinalSummary((), up).to_json()
    assert FinalSummary.from_json(saved).estimate == up
    assert ScoreEstimate(**saved["estimate"]).step == 0.0  # the step apart: a reader that knows no step reads the rest
    older = {"members": [], "estimate": {"metric": "rmse", "value": 2.0, "method": "nested out-of-fold", "rows": 9}}
    assert FinalSummary.from_json(older).estimate == ScoreEstimate("rmse", 2.0, "nested out-of-fold", 9)


def test_a_rare_class_is_never_left_out_of_the_half_size_fits():
    rng = np.random.default_rng(0)
    y = np.array([0] * 100 + [1] * 96 + [2] * 4)  # two rows of class 2 in each half-size fit's training rows
    frame = pd.DataFrame({"a": rng.normal(size=200) + y, "b": rng.normal(size=200)})
    schema = infer_schema(frame)
    folds = make_folds(Resampling("cv", 5), y, classification=True, seed=0)
    data = TrialData(prepare_features(frame, schema), y, schema, "multiclass", 3, folds,
                     get_metric("log_loss", "multiclass"), 0)
    space = build_space("multiclass", DataShape(200, 160, 2, 3), has_categorical=False,
                        include=("logistic_regression", "no_preprocessing", "simple_imputer"))
    config = next(c for c in space.default_configs() if c["model"] == "logistic_regression")
    for seed in range(5):  # whatever the draw, every class is fit: no probability 0 for a class that is there
        half = evaluate(space.to_steps(config), TrialData(**{**vars(data), "seed": seed}), fraction=0.5, only=(0, 1))
        rows = np.isfinite(half.predictions).all(axis=1)
        assert rows.sum() == 80 and (half.predictions[rows] > 1e-6).all()
