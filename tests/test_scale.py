"""Large tables (multi-fidelity search, memory estimates, float32, lean predictions) and a cheap optimizer loop."""

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from automl import AutoClassifier
from automl import data as data_module
from automl.space.bounds import DataShape
from automl.data import Schema, infer_schema, prepare_features, with_float32
from automl.errors import InputError
from automl.trials.evaluation import subsample
from automl.trials.outcomes import TrialOutcome
from automl.space.memory import TableShape, estimate_mb, headroom_mb
from automl.search.result import SearchResult, keep_best_predictions
from automl.run.budget import Budget
from automl.search.loop import SearchSettings, run_search
from automl.space.configspace import build_space
from automl.space.steps import StepSpec


class FakeTrials:
    """Trials that need no worker: the loss is a fixed function of the configuration and fraction."""

    def __init__(self):
        self.submitted: list[tuple[dict, float]] = []

    def submit(self, config, timeout_s, limit_s, fraction=1.0):
        self.submitted.append((config, fraction))

    def collect(self, should_stop):
        config, fraction = self.submitted[-1]
        loss = 0.5 - 0.1 * fraction + 0.01 * (config["model"] == "lightgbm")
        return TrialOutcome(loss, 0.01, 0.0)


def _space():
    return build_space("binary", DataShape(n_rows=1000, fold_rows=600, n_features=3, n_classes=2), has_categorical=False,
                       include=("lightgbm", "logistic_regression", "random_forest"))


def test_successive_halving_fits_nine_on_a_ninth_then_the_best_three_on_a_third_then_one_on_all(tmp_path):
    trials = FakeTrials()
    result = run_search(_space(), trials, SearchSettings("smac", 0, 13, min_fraction=1 / 9, output_dir=tmp_path), Budget(None, time.monotonic()))
    fractions = [round(t.fraction, 3) for t in result.trials]
    assert fractions == [0.111] * 9 + [0.333] * 3 + [1.0]
    first_stage = sorted(result.trials[:9], key=lambda t: t.loss)[:3]
    promoted = {str(t.config) for t in result.trials[9:12]}
    assert promoted == {str(t.config) for t in first_stage}  # the best third goes on
    assert [f for _, f in trials.submitted] == [t.fraction for t in result.trials]


def test_without_a_minimum_fraction_every_trial_sees_all_rows(tmp_path):
    result = run_search(_space(), FakeTrials(), SearchSettings("smac", 0, 4, output_dir=tmp_path), Budget(None, time.monotonic()))
    assert [t.fraction for t in result.trials] == [1.0] * 4


def test_a_skipped_configuration_is_a_failed_trial_that_never_runs(tmp_path):
    trials = FakeTrials()

    def skip(config, fraction):
        return "MemoryEstimate: too big" if config["model"] == "random_forest" else None

    result = run_search(_space(), trials, SearchSettings("random", 0, 12, output_dir=tmp_path), Budget(None, time.monotonic()), skip=skip)
    skipped = [t for t in result.trials if t.error == "MemoryEstimate: too big"]
    assert skipped and result.skipped == len(skipped)
    assert all(t.config["model"] == "random_forest" and not t.ok for t in skipped)
    assert all(config["model"] != "random_forest" for config, _ in trials.submitted)
    assert len(result.trials) == 12


def test_subsample_is_a_fixed_sorted_share_of_the_rows():
    rows = np.arange(100, 200)
    first, again = subsample(rows, 1 / 3, seed=0), subsample(rows, 1 / 3, seed=0)
    assert len(first) == 34 and np.array_equal(first, again) and np.all(np.diff(first) > 0)
    assert set(first) <= set(rows)
    assert subsample(rows, 1.0, seed=0) is rows


def test_multi_fidelity_fit_records_fractions_and_predicts():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X["a"] > 0).astype(int)
    model = AutoClassifier(time_budget=None, max_trials=13, multi_fidelity=True, warm_start="none", ensemble_size=0,
                           include=("logistic_regression", "lightgbm")).fit(X, y)
    fractions = sorted({round(t.fraction, 3) for t in model.trials_})
    assert fractions == [0.111, 0.333, 1.0]
    assert model.predict(X).shape == (300,)
    assert (model.predict(X) == y).mean() > 0.9


def test_multi_fidelity_is_off_for_small_tables_and_checked():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    y = (X["a"] > 0).astype(int)
    model = AutoClassifier(time_budget=None, max_trials=2, warm_start="none", include=("logistic_regression",)).fit(X, y)
    assert {t.fraction for t in model.trials_} == {1.0}
    with pytest.raises(InputError, match="multi_fidelity must be 'auto', True or False"):
        AutoClassifier(multi_fidelity="yes").fit(X, y)
    with pytest.raises(InputError, match="needs search='smac'"):
        AutoClassifier(multi_fidelity=True, search="random").fit(X, y)


def test_large_continuous_columns_are_kept_as_float32_but_not_timestamps(monkeypatch):
    monkeypatch.setattr(data_module, "FLOAT32_CELLS", 1000)
    rng = np.random.default_rng(0)
    n = 20_000
    X = pd.DataFrame({"measure": rng.normal(size=n), "seconds": 1.7e9 + rng.integers(0, 10**7, size=n).astype(float),
                      "colour": rng.choice(["red", "blue"], size=n)})
    schema = with_float32(X, infer_schema(X))
    assert schema.float32 == ("measure",)
    features = prepare_features(X, schema)
    assert features["measure"].dtype == np.float32 and features["seconds"].dtype == np.float64
    assert Schema.from_json(schema.to_json()) == schema


def test_small_tables_stay_float64():
    X = pd.DataFrame({"a": np.linspace(0, 1, 50), "b": np.arange(50.0)})
    assert with_float32(X, infer_schema(X)).float32 == ()


def _steps(estimator, **params):
    return {"imputer": StepSpec("simple_imputer", "sklearn.impute.SimpleImputer", {}),
            "model": StepSpec("model", estimator, params)}


def test_memory_estimates_grow_with_rows_and_know_forests_from_boosting():
    shape = TableShape(rows=500_000, n_numeric=20, categorical_levels=(), n_classes=0, itemsize=4, valid_rows=250_000)
    forest = _steps("sklearn.ensemble.RandomForestRegressor", n_estimators=100, min_samples_leaf=1)
    boosting = _steps("lightgbm.LGBMRegressor", n_estimators=100, num_leaves=31)
    assert estimate_mb(forest, shape, 1 / 9) < estimate_mb(forest, shape, 1 / 3) < estimate_mb(forest, shape)
    assert estimate_mb(forest, shape) > 10 * estimate_mb(boosting, shape)  # a forest of full-depth trees
    shallow = _steps("sklearn.ensemble.RandomForestRegressor", n_estimators=100, min_samples_leaf=1, max_depth=8)
    assert estimate_mb(shallow, shape) < estimate_mb(forest, shape) / 10
    knn = _steps("sklearn.neighbors.KNeighborsRegressor")
    assert estimate_mb(knn, shape) < 2000  # its distance matrix is computed in chunks


def test_one_hot_encoding_widens_the_estimate():
    shape = TableShape(rows=100_000, n_numeric=2, categorical_levels=(500, 300), n_classes=2)
    base = _steps("sklearn.linear_model.LogisticRegression")
    onehot = {**base, "encoder": StepSpec("onehot", "sklearn.preprocessing.OneHotEncoder", {})}
    assert estimate_mb(onehot, shape) > 100 * estimate_mb(base, shape)
    assert headroom_mb(1000, 100) == 1000 - 250 - 100


def test_a_million_row_run_keeps_fewer_out_of_fold_predictions():
    result = SearchResult()
    result.trials = []
    from tests.helpers import make_record as TrialRecord

    for i in range(40):
        result.trials.append(TrialRecord(i, {"model": "m"}, "smac", float(i), 1.0, 0.0, {}, None, 0.0, 1.0))
        result.predictions[i] = np.zeros((1_000_000, 2), dtype=np.float32)
        keep_best_predictions(result)
    assert sorted(result.predictions) == list(range(13))  # 100 MB of 8 MB arrays, the best ones


def test_smac_gives_way_to_random_configurations_when_it_takes_more_than_its_share(tmp_path):
    trials = FakeTrials()  # instant trials: SMAC's own time is soon over 3 % of the wall time
    timed = run_search(_space(), trials, SearchSettings("smac", 0, 30, output_dir=tmp_path / "timed"), Budget(600, time.monotonic()))
    origins = [t.origin for t in timed.trials]
    assert "random (SMAC over its time share)" in origins
    assert len({str(t.config) for t in timed.trials}) == 30  # never the same configuration twice
    counted = run_search(_space(), FakeTrials(), SearchSettings("smac", 0, 30, output_dir=tmp_path / "counted"), Budget(None, time.monotonic()))
    assert "random (SMAC over its time share)" not in [t.origin for t in counted.trials]  # reproducible


def test_a_promotion_that_cannot_finish_in_time_is_skipped(tmp_path):
    class SlowForest(FakeTrials):
        def collect(self, should_stop):
            config, fraction = self.submitted[-1]
            if config["model"] == "random_forest":
                time.sleep(0.3 * fraction * 9)  # 0.3 s on a ninth: 0.9 s on a third, over the 0.5 s limit
            return TrialOutcome(0.3 if config["model"] == "random_forest" else 0.5, 0.01, 0.0)

    forest = next(c for c in _space().default_configs() if c["model"] == "random_forest")
    result = run_search(_space(), SlowForest(), SearchSettings("smac", 0, 11, min_fraction=1 / 9, output_dir=tmp_path), Budget(None, time.monotonic(), trial_time_limit=0.5), design=[(c, "initial design") for c in [forest]])
    promoted = [t for t in result.trials if t.config == forest and t.fraction > 0.2]
    assert promoted and promoted[0].error.startswith("TimeEstimate: skipped, predicted to take")
    assert result.skipped == sum((t.error or "").startswith("TimeEstimate") for t in result.trials)


class _RecordingWorker:
    """Stands in for the trial worker: records each refit it is asked for, answers at once."""
    alive, startup_s = True, 0.0

    def __init__(self):
        self.refits = []

    def run(self, kind, payload, timeout_s):
        steps, fraction = payload
        self.refits.append((steps["model"].component, fraction))
        return f"refit {steps['model'].component}"


def _trial(trial_id, config, loss, fit_seconds, fraction):
    from tests.helpers import make_record as TrialRecord

    return TrialRecord(trial_id, config, "smac", loss, fit_seconds, 0.0, {}, None, 0.0, 1.0, fraction=fraction)


def test_the_refit_passes_over_a_configuration_too_big_for_all_rows():
    from automl.run.final import refit_best

    configs = {c["model"]: c for c in _space().default_configs()}
    trials = [_trial(0, configs["random_forest"], 0.1, 1.0, 1 / 9), _trial(1, configs["lightgbm"], 0.2, 1.0, 1 / 9)]
    too_big = lambda config, fraction: "MemoryEstimate: too big" if config["model"] == "random_forest" else None  # noqa: E731
    pipeline, best, fraction = refit_best(_RecordingWorker(), _space().to_steps, trials, None,
                                          Budget(None, time.monotonic(), refit_factor=1.0), too_big)
    assert pipeline == "refit lightgbm" and best.trial_id == 1 and fraction == 1.0


def test_a_best_too_slow_for_all_rows_is_refit_on_the_share_the_time_left_allows():
    from automl.run.final import refit_best

    configs = {c["model"]: c for c in _space().default_configs()}
    # the best: 10 s on a ninth -> 90 s on all rows (135 s planned for a share); 45 s left: a third
    best_on_a_ninth = _trial(0, configs["random_forest"], 0.1, 10.0, 1 / 9)
    fast = _trial(1, configs["lightgbm"], 0.2, 1.0, 1.0)
    worker = _RecordingWorker()
    pipeline, best, fraction = refit_best(worker, _space().to_steps, [best_on_a_ninth, fast], None,
                                          Budget(40.0, time.monotonic(), refit_factor=1.0))  # 45 s to its final end
    assert best.trial_id == 0 and pipeline == "refit random_forest"
    assert 0.25 < fraction <= 1 / 3 and worker.refits == [("random_forest", fraction)]
    # the share is sized to the budget's end, leaving the slack after it unused
    worker = _RecordingWorker()
    _, best, fraction = refit_best(worker, _space().to_steps, [best_on_a_ninth, fast], None,
                                   Budget(27.0, time.monotonic(), refit_factor=1.0))
    assert best.trial_id == 0 and 0.15 < fraction <= 0.2
    # with less time than its own ninth would need, it gives way to the next best, on all rows
    worker = _RecordingWorker()
    pipeline, best, fraction = refit_best(worker, _space().to_steps, [best_on_a_ninth, fast], None,
                                          Budget(8.5, time.monotonic(), refit_factor=1.0))  # 12 s to its final end
    assert best.trial_id == 1 and fraction == 1.0 and worker.refits == [("lightgbm", 1.0)]


def test_a_refit_on_a_share_of_the_rows_fits_that_share_and_keeps_every_class():
    from automl.trials.evaluation import TrialData, refit
    from automl.metrics import get_metric

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X["a"] > 0).to_numpy().astype(np.int64)
    schema = infer_schema(X)
    data = TrialData(X, y, schema, "binary", 2, [], get_metric("roc_auc", "binary"), 0)
    steps = _space().to_steps(next(c for c in _space().default_configs() if c["model"] == "random_forest"))
    pipeline = refit(steps, data, fraction=0.2)  # each tree draws as many rows as it was given
    assert pipeline[-1].estimators_[0].tree_.weighted_n_node_samples[0] == 60 and list(pipeline.classes_) == [0, 1]
    rare = dataclasses.replace(data, y=np.r_[np.ones(299, dtype=np.int64), 0])  # a fifth of the rows lacks class 0
    with pytest.raises(ValueError, match="lack a class"):
        refit(steps, rare, fraction=0.2)
