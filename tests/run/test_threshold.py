"""Class weights are searched; a label metric gets a decision threshold tuned out of fold and used by predict."""

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from click.testing import CliRunner
from sklearn.metrics import f1_score

from automl import AutoClassifier, load_model
from automl.cli.main import main
from automl.metrics import get_metric
from automl.run.export import export_model
from automl.run.threshold import at_threshold, tune_threshold
from automl.space.bounds import DataShape
from automl.space.configspace import build_space


def _rare(n: int = 900, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    return X, np.where(X["a"] + rng.normal(scale=0.7, size=n) > 1.6, "rare", "common")  # about 10 % rare


def test_the_tuned_threshold_is_the_best_cut_and_0_5_stays_when_nothing_beats_it():
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.1).astype(int)
    p = np.clip(0.05 + 0.3 * y + rng.normal(scale=0.1, size=400), 0, 1)  # positives sit near 0.35: below 0.5
    proba = np.column_stack([1 - p, p])
    f1 = get_metric("f1", "binary")
    threshold = tune_threshold(proba, y, f1)
    assert 0.1 < threshold < 0.35
    best = max(f1_score(y, (p > t).astype(int)) for t in np.linspace(0, 1, 501))
    assert f1.score(y, at_threshold(proba, threshold)) == pytest.approx(best, abs=0.02)
    assert f1.score(y, at_threshold(proba, threshold)) > f1.score(y, proba) + 0.3
    certain = np.column_stack([1 - y, y]).astype(float)  # every cut between 0 and 1 is perfect: keep 0.5
    assert tune_threshold(certain, y, f1) == 0.5


def test_class_weights_are_hyperparameters_of_every_family_that_takes_them():
    shape = DataShape(n_rows=1000, fold_rows=800, n_features=4, n_classes=2, negative_per_positive=9.0)
    space = build_space("binary", shape, has_categorical=False).configspace
    for name in ("lightgbm:class_weight", "hist_gradient_boosting:class_weight", "random_forest:class_weight",
                 "extra_trees:class_weight", "logistic_regression:class_weight", "catboost:auto_class_weights"):
        assert name in space, name
    assert space["xgboost:scale_pos_weight"].upper == pytest.approx(9.0)  # up to the balancing ratio
    assert "xgboost:scale_pos_weight" not in build_space("multiclass", DataShape(1000, 800, 4, 3),
                                                         has_categorical=False).configspace


def test_a_label_metric_gets_a_threshold_that_predict_score_load_and_export_use(tmp_path):
    X, y = _rare()
    model = AutoClassifier(time_budget=None, max_trials=4, metric="f1", seed=0, run_dir=str(tmp_path / "run")).fit(X, y)
    threshold = model.decision_threshold_
    assert threshold is not None and threshold != 0.5
    proba = model.predict_proba(X)
    expected = np.where(proba[:, 1] > threshold, "rare", "common")
    assert (model.predict(X) == expected).all() and model.score(X, y) == pytest.approx(f1_score(y, expected, pos_label="rare"))
    assert (load_model(tmp_path / "run" / "model.skops").predict(X) == expected).all()
    exported = export_model(tmp_path / "run", tmp_path / "plain.skops")
    plain = sio.load(exported, trusted=sio.get_untrusted_types(file=exported))
    assert (plain.predict(X) == expected).all()
    assert AutoClassifier(time_budget=None, max_trials=2).fit(X, y).decision_threshold_ is None  # AUC: no threshold


def test_the_command_line_says_which_threshold_predictions_use(tmp_path):
    X, y = _rare(600)
    X.assign(label=y).to_csv(tmp_path / "rare.csv", index=False)
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "rare.csv"), "--target", "label", "--metric", "f1",
                                       "--trials", "3", "--out", str(tmp_path / "m.skops")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("Predictions say"))
    assert line.startswith("Predictions say 'rare' where its probability passes 0.") and line.endswith(
        "(not 0.5): the threshold with the best f1 on out-of-fold predictions.")


def test_a_good_ranker_that_labels_nothing_positive_at_0_5_stays_a_candidate_for_the_tuned_threshold():
    from automl.run.final import beats_constant, ranks_better_than_chance
    from tests.helpers import make_record

    y = np.r_[np.zeros(90, dtype=int), np.ones(10, dtype=int)]
    p = np.r_[np.linspace(0.0, 0.2, 90), np.linspace(0.3, 0.4, 10)]  # ranks perfectly, never passes 0.5
    ranker, constant = np.column_stack([1 - p, p]), np.tile([0.9, 0.1], (100, 1))
    f1 = get_metric("f1", "binary")
    trials = [make_record(0, {"model": "lightgbm"}, "design", f1.loss(y, ranker)),
              make_record(1, {"model": "prior"}, "design", f1.loss(y, constant))]
    both = {0: ranker, 1: constant}
    assert f1.loss(y, ranker) == f1.loss(y, constant) == 1.0  # at 0.5 the ranker is no better than the constant
    assert list(beats_constant(trials, both, f1.loss(y, constant))) == [0, 1]  # none beats it: all stay
    assert list(ranks_better_than_chance(both, y)) == [0]  # by AUC the ranker is perfect, the constant chance
