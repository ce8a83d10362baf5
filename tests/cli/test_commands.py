"""The command line as a user calls it: click's runner for most cases, a real subprocess once."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from automl.cli.main import main
from tests.conftest import COMPONENTS
from tests.helpers import start_fit_and_wait_for_trials

FAST = ["--trials", "2", "--include", "logistic_regression,ridge,lightgbm", "--ensemble-size", "0"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_fit_then_predict(tmp_path, csv_file):
    model = tmp_path / "m.skops"
    result = run("fit", csv_file, "--target", "label", "--out", model, *FAST)
    assert result.exit_code == 0, result.output
    assert "rank" in result.output and "roc_auc" in result.output
    assert f"Model saved to {model}" in result.output and model.exists()
    preds = tmp_path / "p.csv"
    result = run("predict", model, csv_file, "-o", preds)
    assert result.exit_code == 0
    assert set(pd.read_csv(preds)["prediction"]) <= {"yes", "no"}
    result = run("predict", model, csv_file, "--proba")
    frame = pd.read_csv(__import__("io").StringIO(result.output))
    assert list(frame.columns) == ["proba_no", "proba_yes"] and np.allclose(frame.sum(axis=1), 1)


def test_fit_regression_from_parquet_with_warnings_for_dropped_columns(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": range(50), "const": 1, "x": rng.normal(size=50)})
    frame["y"] = 2 * frame["x"] + rng.normal(scale=0.1, size=50)
    frame.to_parquet(tmp_path / "d.parquet")
    result = run("fit", tmp_path / "d.parquet", "--target", "y", "--out", tmp_path / "r.skops", *FAST)
    assert result.exit_code == 0, result.output
    assert "Warning: Dropped column 'id': it looks like an ID" in result.output
    assert "Warning: Dropped column 'const': it holds a single value." in result.output
    assert "rmse" in result.output


def test_rows_with_missing_target_are_dropped_with_a_warning(tmp_path, mixed_frame):
    X, y = mixed_frame
    y = y.copy()
    y[:5] = None
    X.assign(label=y).to_csv(tmp_path / "d.csv", index=False)
    result = run("fit", tmp_path / "d.csv", "--target", "label", "--out", tmp_path / "m.skops", *FAST)
    assert result.exit_code == 0 and "Warning: Dropped 5 rows with a missing target value." in result.output


@pytest.fixture
def bad_inputs(tmp_path, csv_file):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "garbage.csv").write_text('a,b\n1,"x\n')
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "a", "a"]}).to_csv(tmp_path / "one.csv", index=False)
    pd.DataFrame({"x": [1.0, 2.0], "label": [None, None]}).to_csv(tmp_path / "nolabel.csv", index=False)
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "c"]}).to_csv(tmp_path / "strings.csv", index=False)
    (tmp_path / "space").mkdir()
    (tmp_path / "space" / "mine.yaml").write_text("name: mine\nstep: model\nestimator: a.B\nfixed: [1, 2]\n")
    return tmp_path, csv_file


@pytest.mark.parametrize("args, message", [
    (["{d}/nope.csv", "--target", "label"], "File not found"),
    (["{d}/empty.csv", "--target", "label"], "is empty"),
    (["{d}/garbage.csv", "--target", "label"], "Could not parse"),
    (["{csv}", "--target", "lable"], "Target column 'lable' is not in the data; did you mean 'label'?"),
    (["{d}/one.csv", "--target", "label"], "single class"),
    (["{d}/nolabel.csv", "--target", "label"], "Every row has a missing target value"),
    (["{d}/strings.csv", "--target", "label", "--task", "regression"], "Regression needs a numeric target"),
    (["{csv}", "--target", "label", "--metric", "auc"], "Unknown metric 'auc'"),
    (["{csv}", "--target", "label", "--metric", "rmse"], "Metric 'rmse' does not fit a binary task"),
    (["{csv}", "--target", "label", "--time", "0"], "--time must be a positive number of seconds"),
    (["{csv}", "--target", "label", "--include", "lgbm"], "Unknown component 'lgbm' in include"),
    (["{csv}", "--target", "label", "--exclude", "svm"], "Unknown component 'svm' in exclude"),
    (["{csv}", "--target", "label", "--space-dir", "{d}/space"], "mine.yaml, key 'fixed'"),
    (["{csv}", "--target", "label", "--resume", "{d}"], "{d} is not an automl run directory"),
    (["{csv}", "--target", "label", "--memory-limit", "0"], "Invalid value for '--memory-limit'"),
    (["{csv}", "--target", "label", "--trial-time-limit", "-1"], "Invalid value for '--trial-time-limit'"),
    (["{csv}", "--target", "label", "--keep-models", "-1"], "Invalid value for '--keep-models'"),
])
def test_bad_input_is_one_sentence_and_a_nonzero_exit(bad_inputs, args, message):
    folder, csv = bad_inputs
    args = [a.format(d=folder, csv=csv) for a in args]
    result = CliRunner().invoke(main, ["fit", *args, "--trials", "1"])
    assert result.exit_code == 2, result.output
    assert message.format(d=folder) in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("Error:")]) == 1


def test_predict_names_the_missing_columns(tmp_path, csv_file):
    model = tmp_path / "m.skops"
    assert run("fit", csv_file, "--target", "label", "--out", model, *FAST).exit_code == 0
    pd.read_csv(csv_file).drop(columns=["x2", "colour"]).to_csv(tmp_path / "less.csv", index=False)
    result = CliRunner().invoke(main, ["predict", str(model), str(tmp_path / "less.csv")])
    assert result.exit_code == 2
    assert "The data lacks 2 column(s) the model needs: 'x2', 'colour'." in result.output


def test_predict_refuses_a_file_not_written_by_automl(tmp_path, csv_file):
    (tmp_path / "fake.skops").write_bytes(b"not a model")
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "fake.skops"), str(csv_file)])
    assert result.exit_code == 2 and "is not a model file written by automl" in result.output


def test_user_yaml_family_through_the_cli(tmp_path, csv_file):
    result = run("fit", csv_file, "--target", "label", "--out", tmp_path / "m.skops", "--trials", "2",
                 "--space-dir", COMPONENTS / "raise", "--include", "raise_model,logistic_regression",
                 "--warm-start", "none")
    assert result.exit_code == 0
    assert "raise_model" in result.output and "failed" in result.output


def test_console_script_in_a_subprocess(tmp_path, csv_file):
    model = tmp_path / "m.skops"
    fit = subprocess.run([sys.executable, "-m", "automl.cli.main", "fit", str(csv_file), "--target", "label",
                          "--out", str(model), *FAST], capture_output=True, text=True, timeout=120)
    assert fit.returncode == 0, fit.stderr
    assert "Final model: " in fit.stdout and "; estimated roc_auc = " in fit.stdout
    bad = subprocess.run([sys.executable, "-m", "automl.cli.main", "fit", str(tmp_path / "missing.csv"), "--target", "y"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.strip() == f"Error: File not found: {tmp_path / 'missing.csv'}."


def test_a_used_run_directory_is_refused_and_resume_takes_the_recorded_options(tmp_path, csv_file):
    run_dir = tmp_path / "run"
    first = run("fit", csv_file, "--target", "label", "--run-dir", run_dir, "--trials", "2",
                "--include", "logistic_regression,lightgbm", "--metric", "log_loss")
    assert first.exit_code == 0 and f"Run directory: {run_dir}" in first.output
    again = CliRunner().invoke(main, ["fit", str(csv_file), "--target", "label", "--run-dir", str(run_dir)])
    assert again.exit_code == 2 and "already holds a run" in again.output
    settings = json.loads((run_dir / "settings.json").read_text())
    for newer in ("n_jobs", "dask_address", "verbose"):  # as a run of an older automl
        settings.pop(newer)
    (run_dir / "settings.json").write_text(json.dumps(settings))
    resumed = run("fit", csv_file, "--target", "label", "--resume", run_dir, "--trials", "3")
    assert resumed.exit_code == 0, resumed.output
    assert "3 trials (0 failed, 2 of them from before)" in resumed.output
    assert "estimated log_loss = " in resumed.output  # the recorded metric, not the default roc_auc


def test_ctrl_c_stops_the_search_saves_the_best_model_and_says_how_to_resume(tmp_path, csv_file):
    run_dir, model = tmp_path / "run", tmp_path / "m.skops"
    process = start_fit_and_wait_for_trials(csv_file, run_dir, model)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Interrupted" in err and f"--resume {run_dir}" in err
    assert f"Model saved to {model}" in out and model.exists()
    assert "Traceback" not in err
    trials = (run_dir / "trials.jsonl").read_text().splitlines()
    assert len(trials) >= 2 and f"{len(trials)} trials" in out


def test_leaderboard_of_a_run_directory(tmp_path, csv_file):
    run_dir = tmp_path / "run"
    fitted = run("fit", csv_file, "--target", "label", "--run-dir", run_dir, *FAST, "--trials", "3")
    assert fitted.exit_code == 0, fitted.output
    shown = run("leaderboard", run_dir, "--top", "2", "--csv", tmp_path / "board.csv")
    assert shown.exit_code == 0, shown.output
    final = next(line for line in fitted.output.splitlines() if line.startswith("Final model: "))
    lines = shown.output.splitlines()
    assert lines[0] == final and not lines[1].strip()  # the saved model and its estimate head the board
    lines = lines[2:]
    assert "key hyperparameters" in lines[0] and "roc_auc" in lines[0] and "ensemble_weight" in lines[0]
    assert lines[1].split()[0] == "1" and lines[2].split()[0] == "2" and not lines[3].strip()
    assert "1.0000" in lines[1]  # with --ensemble-size 0 the best trial carries the whole weight
    assert "3 trials (0 failed); binary task, metric roc_auc." in shown.output
    board = pd.read_csv(tmp_path / "board.csv")
    assert len(board) == 3 and list(board["rank"]) == [1, 2, 3]
    assert any(c.startswith("hp:") for c in board.columns) and "accuracy" in board.columns
    assert board["ensemble_weight"].sum() == 1.0
    missing = CliRunner().invoke(main, ["leaderboard", str(tmp_path)])
    assert missing.exit_code == 2 and f"{tmp_path} is not an automl run directory" in missing.output
    read_end, write_end = os.pipe()
    os.close(read_end)  # a reader that left at once, as `| head` does: every write fails with EPIPE
    piped = subprocess.run([sys.executable, "-m", "automl.cli.main", "leaderboard", str(run_dir)], stdout=write_end,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(write_end)
    assert piped.returncode == 1 and piped.stderr == ""


def test_the_readme_cli_reference_is_what_click_prints():
    from tests.cli_reference import README, updated

    text = README.read_text()
    assert updated(text) == text, "README's CLI reference is stale: run python tests/cli_reference.py"


def _imported(*args, cwd=None) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "automl.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return {name.split(".")[0] for name in names}


def test_the_cli_starts_without_the_libraries_it_does_not_need(tmp_path, csv_file):
    heavy = {"sklearn", "lightgbm", "xgboost", "smac", "ConfigSpace", "distributed"}
    assert _imported("--help") & heavy == set()
    assert _imported("--version") & heavy == set()
    model, run_dir = tmp_path / "m.skops", tmp_path / "run"
    assert run("fit", csv_file, "--target", "label", "--out", model, "--run-dir", run_dir, "--trials", "2",
               "--include", "logistic_regression", "--ensemble-size", "0", "--quiet").exit_code == 0
    assert _imported("leaderboard", run_dir) & heavy == set()
    assert _imported("predict", model, csv_file, "-o", tmp_path / "p.csv") & {"smac", "ConfigSpace", "lightgbm",
                                                                             "xgboost", "distributed"} == set()


def test_options_are_checked_before_the_data_is_read_and_counts_are_singular_when_one(tmp_path, csv_file):
    bad = run("fit", tmp_path / "not_there.csv", "--target", "label", "--metric", "auc", "--out", tmp_path / "m.skops")
    assert bad.exit_code == 2 and bad.output.strip() == (
        "Error: Unknown metric 'auc'; choose one of roc_auc, log_loss, accuracy, balanced_accuracy, f1, f1_macro, "
        "rmse, mae, r2 or a scikit-learn scorer name (sklearn.metrics.get_scorer_names()).")
    one = run("fit", csv_file, "--target", "label", "--out", tmp_path / "m.skops", "--trials", "1",
              "--include", "logistic_regression", "--ensemble-size", "0")
    assert one.exit_code == 0 and "\n1 trial (0 failed)" in one.output and "(1 trial)..." in one.output


def test_predict_carries_an_identifier_column(tmp_path, csv_file):
    model = tmp_path / "m.skops"
    assert run("fit", csv_file, "--target", "label", "--out", model, *FAST).exit_code == 0
    data = pd.read_csv(csv_file).assign(customer=lambda d: [f"c{i}" for i in range(len(d))])
    data.to_csv(tmp_path / "new.csv", index=False)
    result = run("predict", model, tmp_path / "new.csv", "--id-column", "customer", "--proba")
    frame = pd.read_csv(__import__("io").StringIO(result.output))
    assert list(frame.columns) == ["customer", "proba_no", "proba_yes"] and frame["customer"].iloc[3] == "c3"
    missing = CliRunner().invoke(main, ["predict", str(model), str(csv_file), "--id-column", "nope"])
    assert missing.exit_code == 2 and "--id-column 'nope' is not a column of" in missing.output


@pytest.mark.parametrize("sep", ["\t", ";", "|"])
def test_the_separator_is_detected_or_given(tmp_path, mixed_frame, sep):
    X, y = mixed_frame
    data = tmp_path / "data.txt"
    X.assign(x1=X["x1"].round(3), label=y).to_csv(data, sep=sep, index=False)
    model = tmp_path / "m.skops"
    result = run("fit", data, "--target", "label", "--out", model, *FAST)
    assert result.exit_code == 0, result.output
    assert "120 rows x 3 columns" in result.output
    given = run("predict", model, data, "--sep", sep)
    assert given.exit_code == 0 and len(given.output.strip().splitlines()) == 121
