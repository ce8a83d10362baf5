"""Large tables (multi-fidelity search, memory estimates, float32, lean predictions) and a cheap optimizer loop."""

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from automl.data import infer_schema
from automl.run.budget import Budget
from automl.space.bounds import DataShape
from automl.space.configspace import build_space


def _space():
    return build_space("binary", DataShape(n_rows=1000, fold_rows=600, n_features=3, n_classes=2), has_categorical=False,
                       include=("lightgbm", "logistic_regression", "random_forest"))


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
    from automl.run.final import Refits, refit_best

    configs = {c["model"]: c for c in _space().default_configs()}
    trials = [_trial(0, configs["random_forest"], 0.1, 1.0, 1 / 9), _trial(1, configs["lightgbm"], 0.2, 1.0, 1 / 9)]
    too_big = lambda config, fraction: "MemoryEstimate: too big" if config["model"] == "random_forest" else None  # noqa: E731
    pipeline, best, fraction = refit_best(Refits(_RecordingWorker(), _space().to_steps, too_big), trials, None,
                                          Budget(None, time.monotonic(), refit_factor=1.0))
    assert pipeline == "refit lightgbm" and best.trial_id == 1 and fraction == 1.0


def test_a_best_too_slow_for_all_rows_is_refit_on_the_share_the_time_left_allows():
    from automl.run.final import Refits, refit_best

    configs = {c["model"]: c for c in _space().default_configs()}
    # the best: 10 s on a ninth -> 90 s on all rows (135 s planned for a share); 45 s left: a third
    best_on_a_ninth = _trial(0, configs["random_forest"], 0.1, 10.0, 1 / 9)
    fast = _trial(1, configs["lightgbm"], 0.2, 1.0, 1.0)
    worker = _RecordingWorker()
    pipeline, best, fraction = refit_best(Refits(worker, _space().to_steps), [best_on_a_ninth, fast], None,
                                          Budget(40.0, time.monotonic(), refit_factor=1.0))  # 45 s to its final end
    assert best.trial_id == 0 and pipeline == "refit random_forest"
    assert 0.25 < fraction <= 1 / 3 and worker.refits == [("random_forest", fraction)]
    # the share is sized to the budget's end, leaving the slack after it unused
    worker = _RecordingWorker()
    _, best, fraction = refit_best(Refits(worker, _space().to_steps), [best_on_a_ninth, fast], None,
                                   Budget(27.0, time.monotonic(), refit_factor=1.0))
    assert best.trial_id == 0 and 0.15 < fraction <= 0.2
    # with less time than its own ninth would need, it gives way to the next best, on all rows
    worker = _RecordingWorker()
    pipeline, best, fraction = refit_best(Refits(worker, _space().to_steps), [best_on_a_ninth, fast], None,
                                          Budget(8.5, time.monotonic(), refit_factor=1.0))  # 12 s to its final end
    assert best.trial_id == 1 and fraction == 1.0 and worker.refits == [("lightgbm", 1.0)]


def test_a_refit_on_a_share_of_the_rows_fits_that_share_and_keeps_every_class():
    from automl.metrics import get_metric
    from automl.trials.evaluation import TrialData, refit

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



def test_with_nothing_refit_the_constant_predictor_takes_the_weighted_class_shares():
    from automl.metrics import get_metric
    from automl.run.final import Refits, refit_best
    from automl.trials.evaluation import TrialData

    y = np.array([0, 0, 0, 1])
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    data = TrialData(X, y, infer_schema(X), "binary", 2, [], get_metric("log_loss", "binary"), 0,
                     weights=np.array([1.0, 1.0, 1.0, 3.0]))
    pipeline, best, _ = refit_best(Refits(_RecordingWorker(), _space().to_steps), [], data,
                                   Budget(None, time.monotonic(), refit_factor=1.0))
    assert best is None and pipeline.predict_proba(np.zeros((1, 1))).tolist() == [[0.5, 0.5]]  # 3 x 1 against 1 x 3


@pytest.mark.parametrize("read_start_s", [1.0, 1e6])  # read after the refit failed, or first (no slack for it)
def test_a_best_with_no_time_to_refit_predicts_with_its_kept_fold_models(tmp_path, monkeypatch, read_start_s):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from automl.ensemble import WeightedEnsemble
    from automl.files import save_fitted
    from automl.metrics import get_metric
    from automl.records import FinalMember, FinalSummary
    from automl.run import final
    from automl.run.final import Refits, refit_best
    from automl.trials.evaluation import TrialData

    monkeypatch.setattr(final, "READ_START_S", read_start_s)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100)})
    y = (X["a"] > 0).to_numpy().astype(np.int64)
    folds = [(np.arange(50, 100), np.arange(50)), (np.arange(50), np.arange(50, 100))]
    data = TrialData(X, y, infer_schema(X), "binary", 2, folds, get_metric("log_loss", "binary"), 0)
    kept = [(Pipeline([("model", LogisticRegression().fit(X.iloc[train], y[train]))]), np.arange(2))
            for train, _ in folds]
    save_fitted(kept, tmp_path / "trial_00000.skops")
    configs = {c["model"]: c for c in _space().default_configs()}
    slow_best, fast = _trial(0, configs["random_forest"], 0.1, 100.0, 1.0), _trial(1, configs["lightgbm"], 0.2, 1.0, 1.0)
    worker = _RecordingWorker()
    refits = Refits(worker, _space().to_steps, kept=lambda i: tmp_path / f"trial_{i:05d}.skops" if i == 0 else None)
    predictor, best, fraction = refit_best(refits, [slow_best, fast], data, Budget(5.0, time.monotonic(), refit_factor=1.0))
    # 100 s to refit, 10 s left: not the faster, weaker trial refit, but the best's two fold models, averaged
    assert best.trial_id == 0 and worker.refits == [] and fraction == 0.5
    assert isinstance(predictor, WeightedEnsemble) and len(predictor.members) == 2
    by_hand = np.mean([m.predict_proba(X) for m, _ in kept], axis=0)
    assert np.allclose(predictor.predict_proba(X), by_hand)
    line = FinalSummary((FinalMember(0, "random_forest", 1.0, fold_models=2),), None, fraction).line()
    assert line.startswith("Final model: random_forest (trial 0, its 2 fold models averaged, not refit)")
    in_ensemble = FinalSummary((FinalMember(0, "random_forest", 0.7, fold_models=2), FinalMember(1, "lightgbm", 0.3)), None)
    assert in_ensemble.line().startswith("Final model: ensemble of 2 (random_forest 0.70 from its 2 fold models, not "
                                         "refit, lightgbm 0.30)")
    assert FinalSummary.from_json(in_ensemble.to_json()) == in_ensemble
    assert "fold_models" not in in_ensemble.to_json()["members"][1]  # as older automl wrote (and reads) it
    older = {"members": [{"trial_id": 0, "model": "random_forest", "weight": 1.0}], "refit_fraction": fraction,
             "fold_models": 2, "estimate": None}  # a final.json of before: the count on the summary
    assert FinalSummary.from_json(older).members[0].fold_models == 2
    # without them kept, the next best is refit
    predictor, best, _ = refit_best(Refits(worker, _space().to_steps), [slow_best, fast], data,
                                    Budget(5.0, time.monotonic(), refit_factor=1.0))
    assert best.trial_id == 1 and predictor == "refit lightgbm"


def test_kept_fold_models_too_big_for_the_slack_still_stand_in_for_a_refit_that_fails_early(tmp_path, monkeypatch):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from automl.ensemble import WeightedEnsemble
    from automl.files import save_fitted
    from automl.metrics import get_metric
    from automl.run import final
    from automl.run.final import Refits, refit_best
    from automl.trials.evaluation import TrialData

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100)})
    y = (X["a"] > 0).to_numpy().astype(np.int64)
    folds = [(np.arange(50, 100), np.arange(50)), (np.arange(50), np.arange(50, 100))]
    data = TrialData(X, y, infer_schema(X), "binary", 2, folds, get_metric("log_loss", "binary"), 0)
    save_fitted([(Pipeline([("model", LogisticRegression().fit(X.iloc[t], y[t]))]), np.arange(2)) for t, _ in folds],
                tmp_path / "trial_00000.skops")
    budget = Budget(5.0, time.monotonic(), refit_factor=1.0)
    # too slow to read in the slack after the members' end, quick enough before the final end
    monkeypatch.setattr(final, "READ_START_S", budget.final_end - budget.members_end + 0.5)
    configs = {c["model"]: c for c in _space().default_configs()}
    best, other = _trial(0, configs["random_forest"], 0.1, 1.0, 1.0), _trial(1, configs["lightgbm"], 0.2, 1.0, 1.0)
    too_big = lambda config, fraction: "MemoryEstimate: too big" if config["model"] == "random_forest" else None  # noqa: E731
    refits = Refits(_RecordingWorker(), _space().to_steps, too_big, kept=lambda i: tmp_path / f"trial_{i:05d}.skops")
    predictor, chosen, _ = refit_best(refits, [best, other], data, budget)
    # its refit is expected to fit, so they are not read first; it fails at once (memory): then they are read
    assert chosen.trial_id == 0 and isinstance(predictor, WeightedEnsemble)
