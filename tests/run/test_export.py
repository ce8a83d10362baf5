"""`automl export`: the final model as plain scikit-learn, loaded and used where automl cannot be imported."""

import subprocess
import sys

import numpy as np
import pandas as pd
from click.testing import CliRunner

from automl import AutoClassifier, AutoRegressor
from automl.cli.main import main
from automl.run.export import export_model

# Runs in a fresh interpreter in which `import automl` fails: only scikit-learn, skops and friends.
DEPLOY = """
import sys
sys.modules["automl"] = None  # any import of automl now raises ImportError
import numpy as np, pandas as pd, skops.io as sio
model_file, data_file, out = sys.argv[1:4]
trusted = sio.get_untrusted_types(file=model_file)
assert not [t for t in trusted if t.startswith("automl")], trusted
model = sio.load(model_file, trusted=trusted)
X = pd.read_csv(data_file)
values = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
np.save(out, values)
pd.Series(model.predict(X)).to_csv(out + ".labels.csv", index=False)
print(type(model).__name__)
"""


def _deploy(model_file, data_file, tmp_path) -> tuple[str, np.ndarray, pd.Series]:
    out = str(tmp_path / "deployed.npy")
    done = subprocess.run([sys.executable, "-c", DEPLOY, str(model_file), str(data_file), out],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), np.load(out), pd.read_csv(out + ".labels.csv").iloc[:, 0]


def test_an_exported_ensemble_predicts_the_same_without_automl(tmp_path, mixed_frame, csv_file, monkeypatch):
    import functools

    import automl.run.final
    from automl.ensemble import select_weights

    # members are admitted by their measured predict seconds (at most 3 x the first's): under CI's load that
    # left one member; this test is about the export, so every member may join
    monkeypatch.setattr(automl.run.final, "select_weights", functools.partial(select_weights, cost_ratio=np.inf))
    X, y = mixed_frame
    run_dir = tmp_path / "run"
    model = AutoClassifier(time_budget=None, max_trials=6, include=("lightgbm", "logistic_regression", "xgboost"),
                           ensemble_size=20, run_dir=str(run_dir)).fit(X, y)
    assert len(model.ensemble_weights_) >= 2, model.leaderboard_
    result = CliRunner().invoke(main, ["export", str(run_dir), "--out", str(tmp_path / "plain.skops")])
    assert result.exit_code == 0, result.output
    assert "Exported to" in result.output and ("KB)" in result.output or "MB)" in result.output)

    kind, proba, labels = _deploy(tmp_path / "plain.skops", csv_file, tmp_path)
    assert kind == "VotingClassifier"
    frame = pd.read_csv(csv_file).drop(columns="label")  # what a deployment reads: a CSV
    np.testing.assert_allclose(proba, model.predict_proba(frame), rtol=1e-6, atol=1e-9)
    assert list(labels) == list(model.predict(frame))


def test_a_regression_ensemble_exports_from_its_model_file(tmp_path):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=90), "b": rng.normal(size=90), "c": rng.choice(["u", "v"], size=90)})
    y = X["a"] + np.sin(3 * X["b"]) + (X["c"] == "u") + rng.normal(scale=0.1, size=90)
    model = AutoRegressor(time_budget=None, max_trials=8, include=("ridge", "lightgbm", "k_nearest_neighbors"),
                          run_dir=str(tmp_path / "run")).fit(X, y)
    assert len(model.ensemble_weights_) >= 2, model.leaderboard_
    data = tmp_path / "new.csv"
    X.to_csv(data, index=False)
    out = export_model(tmp_path / "run" / "model.skops", tmp_path / "plain.skops")
    kind, values, _ = _deploy(out, data, tmp_path)
    assert kind == "VotingRegressor"
    np.testing.assert_allclose(values, model.predict(X), rtol=1e-6, atol=1e-9)


def test_export_of_a_run_without_a_model_is_one_sentence(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["export", str(tmp_path / "empty"), "--out", str(tmp_path / "x.skops")])
    assert result.exit_code != 0
    assert "holds no model.skops" in result.output and result.output.count(".") <= 3


def test_a_catboost_model_reads_categories_itself_saves_and_exports(tmp_path):
    rng = np.random.default_rng(2)
    n = 150
    X = pd.DataFrame({"a": rng.normal(size=n), "shop": rng.choice(["north", "south", "east"], size=n)})
    y = np.where(X["shop"] == "north", "n", np.where(X["a"] > 0, "hi", "lo"))  # three classes
    model = AutoClassifier(time_budget=None, max_trials=2, include=("catboost",), warm_start="none",
                           run_dir=str(tmp_path / "run")).fit(X, y)
    catboost = model.best_pipeline_.named_steps["model"]
    assert type(catboost).__name__ == "CatBoostClassifier" and catboost.get_params()["cat_features"] == ("shop",)
    assert model.best_pipeline_[:-1].transform(X)["shop"].dtype == np.int64  # codes CatBoost accepts as categories
    assert (model.predict(X) == y).mean() > 0.9
    data = tmp_path / "new.csv"
    X.assign(shop=X["shop"].where(X.index % 10 > 0, "never seen")).to_csv(data, index=False)
    kind, proba, labels = _deploy(export_model(tmp_path / "run" / "model.skops", tmp_path / "plain.skops"), data,
                                  tmp_path)
    assert kind == "VotingClassifier"
    np.testing.assert_allclose(proba, model.predict_proba(pd.read_csv(data)), rtol=1e-6, atol=1e-9)
