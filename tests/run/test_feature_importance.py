"""feature_importances_ is out of fold (honest); automl explain ranks columns on held-out rows."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from automl import AutoClassifier, AutoRegressor, load_model
from automl.cli.main import main
from automl.report.explain import held_out_importance

FOREST = dict(time_budget=None, max_trials=1, include=("random_forest",), warm_start="none", ensemble_size=0)


def _signal(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"noise": rng.normal(size=n), "signal": rng.normal(size=n), "row_id": np.arange(n),
                      "shop": rng.choice(["a", "b", "c"], size=n)})
    y = np.where(X["signal"] + 0.8 * (X["shop"] == "a") + rng.normal(scale=0.3, size=n) > 0.4, "yes", "no")
    return X, y


def test_feature_importances_rank_the_columns_that_carry_the_signal(tmp_path):
    X, y = _signal()
    model = AutoClassifier(time_budget=None, max_trials=3, seed=0).fit(X, y)
    importances = model.feature_importances_
    assert list(importances.index[:2]) == ["signal", "shop"] and importances["signal"] > 0.1
    assert set(importances.index) == set(X.columns) and importances["row_id"] == 0.0  # dropped as an identifier
    assert abs(importances["noise"]) < 0.02
    assert model.feature_importances_ is importances  # computed once
    assert not hasattr(AutoClassifier(), "feature_importances_")
    with pytest.raises(AttributeError, match="keep_models=0"):
        _ = AutoClassifier(keep_models=0, **FOREST).fit(X, y).feature_importances_
    with pytest.raises(AttributeError, match="loaded from a file"):
        _ = load_model(model.run_dir_ + "/model.skops").feature_importances_


def test_feature_importances_are_out_of_fold_where_the_in_sample_ones_reward_memorising():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({f"x{i}": rng.normal(size=400) for i in range(3)})
    y = rng.choice([0, 1], size=400)  # no signal at all: a forest still memorises its training rows
    model = AutoClassifier(**FOREST).fit(X, y)
    in_sample = held_out_importance(model, X, y)["importance"]  # the final model, on the rows it was fit on
    assert in_sample.min() > 0.15  # about 0.2 of AUC each (seeds 1-3)
    assert model.feature_importances_.abs().max() < 0.06  # within the noise of 400 rows (at most 0.044, seeds 1-3)


def test_a_regressor_has_them_too_and_weights_reach_them():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    y = 3 * X["a"] + rng.normal(scale=0.1, size=150)
    model = AutoRegressor(time_budget=None, max_trials=2, include=("ridge",)).fit(X, y, sample_weight=np.full(150, 2.0))
    assert model.feature_importances_.index[0] == "a" and model.feature_importances_["a"] > 1.0  # RMSE grows


def test_explain_prints_the_top_columns_and_writes_every_one(tmp_path):
    X, y = _signal(400)
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    X.iloc[:300].assign(label=y[:300]).to_csv(train, index=False)
    X.iloc[300:].assign(label=y[300:]).to_csv(test, index=False)
    fit = CliRunner().invoke(main, ["fit", str(train), "--target", "label", "--trials", "2", "--out",
                                    str(tmp_path / "m.skops"), "--run-dir", str(tmp_path / "run")], catch_exceptions=False)
    assert fit.exit_code == 0, fit.output
    result = CliRunner().invoke(main, ["explain", str(tmp_path / "m.skops"), str(test), "--target", "label", "--top", "2",
                                       "--csv", str(tmp_path / "imp.csv")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Permutation importance on 100 rows of test.csv: the growth of the roc_auc loss")
    assert lines[2].split() == ["rank", "column", "importance", "std"] and lines[3].split()[:2] == ["1", "signal"]
    assert "... 2 more columns (--top, --csv)." in result.output
    table = pd.read_csv(tmp_path / "imp.csv")
    assert list(table.columns) == ["column", "importance", "std"] and len(table) == 4
    from_run_dir = subprocess.run([sys.executable, "-m", "automl.cli.main", "explain", str(tmp_path / "run"), str(test),
                                   "--target", "label", "--top", "1"], capture_output=True, text=True, timeout=120)
    assert from_run_dir.returncode == 0 and from_run_dir.stdout.splitlines()[3].split()[1] == "signal"
    missing = CliRunner().invoke(main, ["explain", str(tmp_path / "m.skops"), str(test), "--target", "nope"])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1 and "'nope'" in missing.output
