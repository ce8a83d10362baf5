"""A trial that hangs, kills its interpreter or raises is a failed trial; the search goes on."""

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import AutoClassifier
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from automl.trials import worker as worker_module
from automl.trials.worker import START_DELAY_ENV
from tests.conftest import COMPONENTS
from tests.helpers import spawned_processes


def _data(n=60):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    return X, (X["a"] > 0).astype(int)


@pytest.mark.parametrize("mode, reason, status", [
    ("abort", "ProcessError: the trial's process died", "crashed"),
    ("raise", "RuntimeError: misbehaving on purpose", "failed"),
    ("allocate", "MemoryError: the trial used", "memory"),
])
def test_crashing_trials_fail_and_the_search_goes_on(mode, reason, status):
    X, y = _data()
    model = AutoClassifier(time_budget=None, max_trials=3, search_space_dir=str(COMPONENTS / mode), warm_start="none",
                           memory_limit_mb=1000, include=(f"{mode}_model", "logistic_regression", "lightgbm")).fit(X, y)
    first = model.trials_[0]
    assert first.config["model"] == f"{mode}_model" and not first.ok and reason in first.error
    if mode == "allocate":
        assert "over its memory limit of 1000 MB" in first.error
    assert all(t.ok for t in model.trials_[1:])
    assert model.best_config_["model"] in ("logistic_regression", "lightgbm")
    assert model.leaderboard_["status"].iloc[-1] == status == first.status.value  # failures last, with how they ended


def test_a_hanging_trial_is_killed_and_the_budget_holds():
    X, y = _data()
    budget = 15
    started = time.monotonic()
    model = AutoClassifier(time_budget=budget, trial_time_limit=2, search_space_dir=str(COMPONENTS / "sleep"), warm_start="none",
                           include=("sleep_model", "logistic_regression", "lightgbm")).fit(X, y)
    elapsed = time.monotonic() - started
    assert elapsed <= budget * 1.05 + 5
    first = next(t for t in model.trials_ if t.config["model"] == "sleep_model")  # after a cheap first trial
    assert "TimeoutError" in first.error and first.status.value == "timeout"
    assert model.best_config_ is not None and model.n_trials_ >= 2
    assert model.predict(X).shape == (60,)


def test_warnings_inside_trials_are_counted_in_the_log_and_leaderboard_not_shown(capfd):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning reaching this process would fail the test
        model = AutoClassifier(time_budget=None, max_trials=2, search_space_dir=str(COMPONENTS / "warn"), warm_start="none",
                               include=("warn_model", "lightgbm"), run_dir="run").fit(X, y)
    first = model.trials_[0]
    assert first.config["model"] == "warn_model" and first.ok
    assert first.warnings == {"UserWarning": 5, "RuntimeWarning": 5}  # once per fold
    board = model.leaderboard_.set_index("trial_id")
    assert board.loc[0, "warnings"] == 10
    logged = json.loads(Path("run/trials.jsonl").read_text().splitlines()[0])
    assert logged["warnings"] == {"UserWarning": 5, "RuntimeWarning": 5}
    out, err = capfd.readouterr()
    printed = out + err + Path("run/worker.log").read_text()  # nor printed by the trial process
    assert "complaining" not in printed and "converge" not in printed


def test_the_same_seed_and_trial_budget_give_the_same_run():
    X, y = _data(100)
    families = ("logistic_regression", "lightgbm", "k_nearest_neighbors")  # few defaults first: SMAC proposes soon
    runs = [AutoClassifier(time_budget=None, max_trials=6, seed=3, include=families).fit(X, y) for _ in range(2)]
    assert runs[0].trials_[0].origin.startswith("warm start: ")  # the shipped metabase's warm start, reproducibly
    assert [t.config for t in runs[0].trials_] == [t.config for t in runs[1].trials_]
    stable = ["trial_id", "model", "loss", "status"]
    pd.testing.assert_frame_equal(runs[0].leaderboard_[stable], runs[1].leaderboard_[stable])
    np.testing.assert_array_equal(runs[0].predict_proba(X), runs[1].predict_proba(X))


def test_a_worker_slow_to_start_again_after_a_cut_trial_still_refits_the_best(monkeypatch):
    """The last trial hangs until the budget's end cuts it; its worker then takes seconds to start again
    (a busy machine, here a start-up delayed by 6 s). The refit must still happen: a trial succeeded."""
    X, y = _data()
    space = build_space("binary", DataShape(n_rows=60, fold_rows=48, n_features=2, n_classes=2), has_categorical=False,
                        include=("sleep_model", "logistic_regression"), extra_dirs=(str(COMPONENTS / "sleep"),))
    defaults = {c["model"]: c for c in space.default_configs()}
    monkeypatch.setenv(START_DELAY_ENV, "6")
    monkeypatch.setattr(worker_module, "_IDLE", [])  # no warm worker from an earlier test: a fresh, slow one
    model = AutoClassifier(time_budget=15, trial_time_limit=100, search_space_dir=str(COMPONENTS / "sleep"),
                           warm_start="none", ensemble_size=0, include=("sleep_model", "logistic_regression"),
                           initial_configs=[defaults["logistic_regression"], defaults["sleep_model"]]).fit(X, y)
    assert model.trials_[0].ok and model.best_config_ is not None
    assert len(set(np.round(model.predict_proba(X)[:, 1], 6))) > 1  # a fitted model, not the class prior


def test_a_killed_trial_takes_the_processes_it_started_with_it_even_in_their_own_session():
    X, y = _data()
    model = AutoClassifier(time_budget=None, max_trials=3, trial_time_limit=3, search_space_dir=str(COMPONENTS / "spawn"),
                           warm_start="none", ensemble_size=0, include=("spawn_model", "logistic_regression")).fit(X, y)
    assert model.trials_[0].config["model"] == "spawn_model" and model.trials_[0].status.value == "timeout"
    assert spawned_processes(wait_s=5) == []  # SIGKILL is delivered at once; reaping may take a moment


def test_a_killed_fit_leaves_no_trial_process_and_its_worker_exits_without_a_word(tmp_path, csv_file):
    process = subprocess.Popen([sys.executable, "-m", "automl.cli.main", "fit", str(csv_file), "--target", "label",
                                "--time", "60", "--trial-time-limit", "50", "--space-dir", str(COMPONENTS / "spawn"),
                                "--include", "spawn_model", "--warm-start", "none", "--run-dir", str(tmp_path / "run"),
                                "--out", str(tmp_path / "m.skops"), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not spawned_processes() and time.monotonic() < deadline:  # the hanging trial has started its child
        time.sleep(0.1)
    assert spawned_processes()
    process.kill()
    _, err = process.communicate(timeout=30)  # the orphaned worker shares this stderr until it exits
    log = (tmp_path / "run" / "worker.log").read_text() if (tmp_path / "run" / "worker.log").exists() else ""
    assert spawned_processes(wait_s=10) == [] and "Traceback" not in err + log and "BrokenPipe" not in err + log
