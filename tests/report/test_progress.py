"""What a fit shows while it runs: nothing by default in Python, plain lines off a terminal, a live panel on one."""

import io
import subprocess
import sys

import numpy as np
import pandas as pd
from click.testing import CliRunner
from rich.console import Console

from automl import AutoClassifier
from automl.cli.main import main
from automl.metrics import get_metric
from automl.report.progress import LineProgress, LiveProgress, make_progress
from tests.helpers import make_record as TrialRecord

LGBM = {"model": "lightgbm", "lightgbm:num_leaves": 31, "lightgbm:reg_alpha": 1e-10, "scaler": "no_scaling"}
XGB = {"model": "xgboost", "xgboost:max_depth": 6, "scaler": "standard"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _record(trial_id, config, loss, error=None):
    return TrialRecord(trial_id, config, "initial", loss, 0.5, 0.1, {}, error, 0.0, 1.0, {})


def test_python_fits_are_quiet_unless_asked_and_then_print_a_line_per_trial(capfd):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60)})
    y = (X["a"] > 0).astype(int)
    AutoClassifier(time_budget=None, max_trials=2, include=("logistic_regression",), ensemble_size=0).fit(X, y)
    assert capfd.readouterr().err == ""
    AutoClassifier(time_budget=None, max_trials=2, include=("logistic_regression",), ensemble_size=0,
                   verbose=1).fit(X, y)
    lines = capfd.readouterr().err.splitlines()
    assert lines[0].startswith("trial 0 logistic_regression(C=") and "roc_auc" in lines[0]
    assert "| 1 done, 0 failed | " in lines[0] and "trial budget 2" in lines[0]
    assert lines[1].startswith("trial 1 ") and "| 2 done, 0 failed | " in lines[1]
    assert lines[2].startswith("refitting the best pipeline on all rows")


def test_line_progress_reports_failures_and_the_best_so_far():
    stream = io.StringIO()
    progress = LineProgress(get_metric("roc_auc", "binary"), 60.0, None, {"lightgbm": ["num_leaves"]}, stream=stream)
    progress.trial_finished(_record(0, LGBM, 0.1))
    progress.trial_finished(_record(1, XGB, None, "MemoryError: over the limit"))
    first, second = stream.getvalue().splitlines()
    assert first.startswith("trial 0 lightgbm(num_leaves=31): roc_auc 0.9000 | best roc_auc 0.9000 (lightgbm, trial 0)")
    assert "s left" in first
    assert second.startswith("trial 1 xgboost(max_depth=6) + standard: failed: MemoryError: over the limit")
    assert "| 2 done, 1 failed |" in second

    from dataclasses import replace

    from automl.records import TrialStatus

    skipped = _record(2, XGB, None, "TimeEstimate: skipped, predicted to take 40 s")
    progress.trial_finished(replace(skipped, result=replace(skipped.result, status=TrialStatus.SKIPPED)))
    third = stream.getvalue().splitlines()[2]
    assert ": skipped: TimeEstimate: skipped, predicted" in third and "| 3 done, 1 failed, 1 skipped |" in third


def test_on_a_terminal_the_live_panel_shows_time_trials_best_and_the_running_configuration():
    progress = make_progress(1, get_metric("roc_auc", "binary"), 60.0, None, {"lightgbm": ["num_leaves"]},
                             stream=_Terminal())
    try:
        assert isinstance(progress, LiveProgress)
        progress.trial_finished(_record(0, LGBM, 0.1))
        progress.trial_finished(_record(1, XGB, None, "boom"))
        progress.trial_started(XGB)
        console = Console(record=True, width=120, file=io.StringIO())
        console.print(progress)
        text = console.export_text()
    finally:
        progress.stop()
    assert "s elapsed" in text and "s left" in text
    assert "2 done, 1 failed" in text
    assert "roc_auc 0.9000 (lightgbm, trial 0)" in text
    assert "xgboost(max_depth=6) + standard" in text


def test_the_cli_prints_progress_lines_unless_quiet(tmp_path, csv_file):
    args = ["fit", str(csv_file), "--target", "label", "--trials", "2", "--include", "logistic_regression",
            "--ensemble-size", "0", "--out", str(tmp_path / "m.skops")]
    shown = CliRunner().invoke(main, args + ["--run-dir", str(tmp_path / "a")])
    assert shown.exit_code == 0, shown.output
    assert "trial 0 logistic_regression" in shown.output and "refitting the best pipeline" in shown.output
    quiet = CliRunner().invoke(main, args + ["--run-dir", str(tmp_path / "b"), "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == "" and (tmp_path / "m.skops").exists()


def test_quiet_prints_nothing_but_errors_as_a_subprocess(tmp_path, csv_file):
    table = pd.read_csv(csv_file).assign(constant=1, row_id=lambda f: range(len(f)))  # two dropped-column warnings
    table.to_csv(tmp_path / "t.csv", index=False)
    args = [sys.executable, "-m", "automl.cli.main", "fit", "t.csv", "--target", "label", "--trials", "2",
            "--include", "logistic_regression", "--ensemble-size", "0", "--run-dir", "run", "--quiet"]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stdout + done.stderr
    assert (tmp_path / "t.skops").exists()
    refused = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)  # an error still reaches the user
    assert refused.returncode == 2 and refused.stdout == "" and refused.stderr.startswith("Error: "), refused.stderr
