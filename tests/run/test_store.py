"""The run directory: what it holds, that a kill loses nothing, and resuming a run."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from automl import AutoClassifier, AutoRegressor
from automl.errors import InputError
from automl.estimators import load_model
from automl.files import load_fitted
from automl.run.store import RunStore
from automl.settings import RunSettings

FAST = ("logistic_regression", "lightgbm", "ridge", "k_nearest_neighbors")


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], size=n)})
    return X, pd.Series(np.where(X["a"] + (X["c"] == "x") > 0.5, "yes", "no"))


def _log(run_dir):
    return [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines()]


def test_the_run_directory_holds_log_predictions_space_settings_fingerprint_and_top_models(tmp_path):
    X, y = _data()
    model = AutoClassifier(time_budget=None, max_trials=6, include=FAST, keep_models=2,
                           run_dir=str(tmp_path / "run")).fit(X, y)
    run = tmp_path / "run"
    assert model.run_dir_ == str(run)
    lines = _log(run)
    assert [line["trial_id"] for line in lines] == list(range(6))
    for line in lines:
        assert {"config", "status", "loss", "scores", "fit_seconds", "predict_seconds", "warnings", "error"} <= set(line)
        if line["status"] == "ok":
            assert {"roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1"} <= set(line["scores"])
            predictions = np.load(run / "predictions" / f"trial_{line['trial_id']:05d}.npy")
            assert predictions.dtype == np.float32 and predictions.shape == (80, 2)
    best_two = sorted((line["loss"], line["trial_id"]) for line in lines if line["status"] == "ok")[:2]
    kept = sorted(int(f.stem.split("_")[1]) for f in (run / "models").glob("*.skops"))
    assert kept == sorted(trial_id for _, trial_id in best_two)
    folds = load_fitted(run / "models" / f"trial_{kept[0]:05d}.skops")
    assert len(folds) == 5 and folds[0][0].predict_proba(X.iloc[:3]).shape == (3, 2)
    fingerprint = json.loads((run / "data.json").read_text())
    assert fingerprint["rows"] == 80 and fingerprint["columns"] == {"a": "numeric", "b": "numeric", "c": "categorical"}
    assert json.loads((run / "space.json").read_text())["configspace"]["hyperparameters"]
    settings = json.loads((run / "settings.json").read_text())
    assert settings["max_trials"] == 6 and settings["metric"] == "roc_auc" and settings["validation"]["kind"] == "cv"
    assert load_model(run / "model.skops").predict(X).shape == (80,)
    assert model.run_dir_bytes_ == sum(f.stat().st_size for f in run.rglob("*") if f.is_file())
    assert not list(run.rglob("*.automl-tmp"))


def test_the_default_run_directory_is_new_and_timestamped():
    X, y = _data()
    first = AutoClassifier(time_budget=None, max_trials=1, include=FAST).fit(X, y).run_dir_
    second = AutoClassifier(time_budget=None, max_trials=1, include=FAST).fit(X, y).run_dir_
    assert first != second and first.startswith("automl-runs") and os.path.isdir(second)


def test_resume_reads_finished_trials_back_and_spends_the_rest_of_the_trial_budget(tmp_path):
    X, y = _data()
    run = str(tmp_path / "run")
    first = AutoRegressor(time_budget=None, max_trials=3, include=FAST, run_dir=run).fit(X, X["a"])
    before = _log(tmp_path / "run")
    with (tmp_path / "run" / "trials.jsonl").open("a") as log:
        log.write('{"status": "ok", "trial_id": 3, "conf')  # a line cut short by a kill
    resumed = AutoRegressor(time_budget=None, max_trials=6, include=FAST, run_dir=run, resume=True).fit(X, X["a"])
    assert resumed.resumed_trials_ == 3 and resumed.n_trials_ == 6
    assert [t.config for t in resumed.trials_[:3]] == [t.config for t in first.trials_]
    assert [t.trial_id for t in resumed.trials_] == list(range(6))
    configs = [json.dumps(t.config, sort_keys=True) for t in resumed.trials_]
    assert len(set(configs)) == 6
    after = [line for line in _log_lines(tmp_path / "run") if line is not None]
    assert after[:3] == before and len(after) == 6
    kept = {int(f.stem[6:]) for f in (tmp_path / "run" / "predictions").glob("*.npy")}
    assert kept == {t.trial_id for t in resumed.trials_ if t.ok}


def _log_lines(run_dir):
    out = []
    for line in (run_dir / "trials.jsonl").read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append(None)
    return out


@pytest.mark.parametrize("change, message", [
    (lambda X, y: (X.assign(a=X["a"] + 1), y), "different values"),
    (lambda X, y: (X.iloc[:70], y.iloc[:70]), "the data differs"),
    (lambda X, y: (X.drop(columns="b"), y), "the data differs"),
])
def test_resume_refuses_other_data(tmp_path, change, message):
    X, y = _data()
    AutoClassifier(time_budget=None, max_trials=1, include=FAST, run_dir=str(tmp_path / "r")).fit(X, y)
    with pytest.raises(InputError, match=message):
        AutoClassifier(time_budget=None, max_trials=2, include=FAST, run_dir=str(tmp_path / "r"),
                       resume=True).fit(*change(X, y))


def test_resume_refuses_another_space_or_metric_and_a_fresh_run_refuses_a_used_folder(tmp_path):
    X, y = _data()
    run = str(tmp_path / "r")
    AutoClassifier(time_budget=None, max_trials=1, include=FAST, run_dir=run).fit(X, y)
    settings = (tmp_path / "r" / "settings.json").read_text()
    with pytest.raises(InputError, match="search space differs"):
        AutoClassifier(time_budget=None, max_trials=2, include=FAST[:2], run_dir=run, resume=True).fit(X, y)
    assert (tmp_path / "r" / "settings.json").read_text() == settings  # a refused resume changes nothing
    with pytest.raises(InputError, match="its metric is 'roc_auc', not 'log_loss'"):
        AutoClassifier(time_budget=None, max_trials=2, include=FAST, metric="log_loss", run_dir=run, resume=True).fit(X, y)
    with pytest.raises(InputError, match="already holds a run"):
        AutoClassifier(time_budget=None, max_trials=2, include=FAST, run_dir=run).fit(X, y)
    with pytest.raises(InputError, match="not a run directory"):
        AutoClassifier(time_budget=None, max_trials=2, run_dir=str(tmp_path), resume=True).fit(X, y)
    with pytest.raises(InputError, match="resume=True needs run_dir"):
        AutoClassifier(time_budget=None, max_trials=2, resume=True).fit(X, y)


def test_a_search_killed_by_sigkill_resumes_without_repeating_a_trial(tmp_path):
    X, y = _data(200)
    X.assign(label=y).to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    args = [sys.executable, "-m", "automl.cli.main", "fit", str(tmp_path / "data.csv"), "--target", "label",
            "--trials", "9", "--resampling", "holdout", "--ensemble-size", "0", "--include", ",".join(FAST),
            "--run-dir", str(run), "--out", str(tmp_path / "m.skops")]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (run / "trials.jsonl").exists() and len(_log_lines(run)) >= 3:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = [line for line in _log_lines(run) if line is not None]
    assert 3 <= len(before) < 9, "the search should have been killed mid-way"

    done = subprocess.run([sys.executable, "-m", "automl.cli.main", "fit", str(tmp_path / "data.csv"), "--target", "label",
                           "--resume", str(run), "--out", str(tmp_path / "m.skops")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    after = [line for line in _log_lines(run) if line is not None]
    ids = [line["trial_id"] for line in after]
    assert len(ids) == len(set(ids)) == 9
    assert after[:len(before)] == before
    assert f"{len(before)} of them from before" in done.stdout
    assert (tmp_path / "m.skops").exists() and (run / "model.skops").exists()


def test_an_empty_run_reads_back_empty_and_one_process_holds_a_run_at_a_time(tmp_path):
    store = RunStore.create(tmp_path / "r", RunSettings("AutoClassifier", "binary", "roc_auc", {}), {"sha256": "", "rows": 0, "columns": {}})
    assert not (tmp_path / "r").exists()  # nothing is written before begin()
    store.begin({"configspace": {}})
    assert store.read_trials() == [] and store.read_predictions([], 50) == {}
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [".lock", "data.json", "models", "predictions",
                                                                   "settings.json", "space.json", "trials.jsonl"]
    second = RunStore.reopen(tmp_path / "r", RunSettings("AutoClassifier", "binary", "roc_auc", {}), {"sha256": "", "rows": 0, "columns": {}})
    with pytest.raises(InputError, match="in use by another automl process"):
        second.begin({"configspace": {}})
    store.close()
    second.begin({"configspace": {}})  # free again
    second.close()


def test_random_search_resumes_without_repeating_a_configuration(tmp_path):
    X, y = _data()
    run = str(tmp_path / "run")
    AutoClassifier(time_budget=None, max_trials=4, search="random", include=FAST, run_dir=run).fit(X, y)
    resumed = AutoClassifier(time_budget=None, max_trials=8, search="random", include=FAST, run_dir=run,
                             resume=True).fit(X, y)
    configs = [json.dumps(t.config, sort_keys=True) for t in resumed.trials_]
    assert resumed.resumed_trials_ == 4 and len(configs) == len(set(configs)) == 8


def test_a_fit_refused_for_a_bad_option_leaves_no_folder_behind():
    X, y = _data()
    with pytest.raises(InputError, match="Unknown metric"):
        AutoClassifier(time_budget=None, max_trials=1, extra_metrics=("auc",)).fit(X, y)
    assert not os.path.exists("automl-runs") or not os.listdir("automl-runs")


def test_a_run_directory_of_format_1_resumes_and_one_of_a_newer_format_is_refused_in_one_sentence(tmp_path):
    X, y = _data()
    run = tmp_path / "run"
    AutoRegressor(time_budget=None, max_trials=2, include=FAST, run_dir=str(run)).fit(X, X["a"])
    settings = json.loads((run / "settings.json").read_text())
    assert settings["format"] == 2
    del settings["format"]  # as automl wrote it before run directories had a format number
    (run / "settings.json").write_text(json.dumps(settings))
    lines = [{k: v for k, v in line.items() if k != "fraction"} for line in _log(run)]  # older lines lack fields too
    (run / "trials.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    resumed = AutoRegressor(time_budget=None, max_trials=4, include=FAST, run_dir=str(run), resume=True).fit(X, X["a"])
    assert resumed.resumed_trials_ == 2 and resumed.n_trials_ == 4
    assert json.loads((run / "settings.json").read_text())["format"] == 2  # written again in today's format
    (run / "settings.json").write_text(json.dumps({**settings, "format": 3}))
    with pytest.raises(InputError, match=r"was written by a newer automl \(run format 3\); upgrade automl"):
        AutoRegressor(time_budget=None, max_trials=6, include=FAST, run_dir=str(run), resume=True).fit(X, X["a"])
