"""Parallel trials on dask.distributed: a local cluster (n_jobs), a running scheduler (dask_address), and
workers that die or hang mid-trial."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import psutil
import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from automl import AutoClassifier
from automl.cli.main import main
from automl.run.store import read_run
from tests.conftest import COMPONENTS
from tests.helpers import spawned_processes, start_fit_and_wait_for_trials

QUIET_HTTP = {"dashboard_address": ":0"}  # the scheduler's health server on a free port, not 8787 (a warning if taken)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    return X, np.where(X["a"] + 0.5 * X["b"] > 0, "p", "n")


def _overlapping(trials) -> bool:
    """True if some trial started before another had finished: they ran at the same time."""
    spans = sorted((t.started_s, t.finished_s) for t in trials)
    return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:]))


def _assert_dask_said_nothing(capfd) -> None:
    """dask's own log lines (a restarted or lost worker, a cancelled future) are silenced: the user sees
    the trial's status, not the scheduler's chatter. capfd reads the file descriptors the workers share."""
    out, err = capfd.readouterr()
    for chatter in ("distributed.", "Restarting worker", "CancelledError", "Traceback", "Warning"):
        assert chatter not in out + err, out + err


def test_a_worker_that_dies_mid_trial_is_a_failed_trial_and_the_search_goes_on(data, capfd):
    X, y = data
    model = AutoClassifier(time_budget=None, max_trials=5, n_jobs=2, ensemble_size=0, warm_start="none",
                           search_space_dir=str(COMPONENTS / "abort"),
                           include=("abort_model", "logistic_regression")).fit(X, y)
    board = model.leaderboard_
    failed = board[board["status"] != "ok"]
    assert set(failed["status"]) == {"crashed"}
    assert list(failed["model"].unique()) == ["abort_model"]
    assert failed["error"].str.startswith("ProcessError: the dask worker running the trial died").all()
    assert (board["status"] == "ok").sum() >= 2 and model.best_config_["model"] == "logistic_regression"
    _assert_dask_said_nothing(capfd)


def test_the_scheduler_can_read_a_trial_task_without_importing_pandas_or_scikit_learn():
    """dask's scheduler unpickles each task and imports its function's module: a heavy one stalled
    the scheduler for seconds at the first trial, so no second trial could start beside it."""
    probe = ("import pickle, sys; from automl.trials.dask_task import evaluate_on_worker; "
             "pickle.loads(pickle.dumps(evaluate_on_worker)); "
             "print(sorted(m for m in ('pandas', 'sklearn', 'numpy', 'lightgbm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_hanging_trial_is_stopped_at_its_limit_and_the_budget_holds(data, capfd):
    X, y = data
    started = time.monotonic()
    model = AutoClassifier(time_budget=30, n_jobs=2, trial_time_limit=2, ensemble_size=0, warm_start="none",
                           search_space_dir=str(COMPONENTS / "sleep"),
                           include=("sleep_model", "logistic_regression")).fit(X, y)
    elapsed = time.monotonic() - started
    trials = [(t.config["model"], t.started_s, t.finished_s, t.error) for t in model.trials_]  # shown on failure
    assert elapsed <= 30 * 1.05 + 5, trials
    board = model.leaderboard_
    hung = board[(board["model"] == "sleep_model") & (board["status"] == "timeout")]
    assert len(hung) >= 1 and hung["error"].str.startswith("TimeoutError: the trial ran past its limit of 2.0 s").all(), trials
    skipped = board[(board["model"] == "sleep_model") & (board["status"] == "skipped")]  # once its time-outs were seen
    assert skipped["error"].str.startswith("TimeEstimate: skipped, predicted to take 2 s (by this run)").all(), trials
    assert set(board.loc[board["model"] == "sleep_model", "status"]) <= {"timeout", "skipped"}, trials
    assert (board["status"] == "ok").sum() >= 1, trials  # the search went on beside the hung trials
    assert any(t.started_s > h.finished_s for t in model.trials_ for h in model.trials_
               if h.config["model"] == "sleep_model"), trials  # ... and after one of them was stopped
    _assert_dask_said_nothing(capfd)


@pytest.mark.parametrize("n_workers", [1, 2])
def test_joining_a_running_scheduler(data, n_workers):
    """Worker processes, as users run them: trials on threads of one process share its warning filters,
    so a trial's warnings could escape their count into this test's output."""
    X, y = data
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs=QUIET_HTTP) as cluster:
        model = AutoClassifier(time_budget=None, max_trials=4, dask_address=cluster.scheduler_address,
                               ensemble_size=0, include=("logistic_regression", "k_nearest_neighbors")).fit(X, y)
    assert model.n_trials_ == 4 and (model.leaderboard_["status"] == "ok").all()


def test_n_jobs_runs_trials_side_by_side_on_a_local_cluster(tmp_path, csv_file):
    args = ["fit", str(csv_file), "--target", "label", "--trials", "6", "--include",
            "logistic_regression,k_nearest_neighbors,lightgbm", "--ensemble-size", "0", "--out",
            str(tmp_path / "m.skops")]
    ok = CliRunner().invoke(main, args + ["--n-jobs", "2", "--run-dir", str(tmp_path / "run")])
    assert ok.exit_code == 0, ok.output
    assert "6 trials (0 failed)" in ok.output
    assert _overlapping(read_run(tmp_path / "run")[1])
    bad = CliRunner().invoke(main, args + ["--n-jobs", "0"])
    assert bad.exit_code == 2 and "--n-jobs" in bad.output


def _launchers() -> list:
    return [p for p in psutil.process_iter(["cmdline"]) if "automl.trials.dask_launcher" in " ".join(p.info["cmdline"] or [])]


def test_ctrl_c_with_parallel_trials_keeps_the_best_model_and_leaves_no_cluster_behind(tmp_path, csv_file):
    run_dir, model = tmp_path / "run", tmp_path / "m.skops"
    process = start_fit_and_wait_for_trials(csv_file, run_dir, model, "--n-jobs", "2", "--ensemble-size", "0")
    ours = [p for p in _launchers() if p.ppid() == process.pid]  # the cluster this fit started
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C: the driver's whole process group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert f"Model saved to {model}" in out and model.exists() and "Traceback" not in err
    assert len(ours) == 1
    gone = time.monotonic() + 10
    while ours[0].is_running() and ours[0].status() != psutil.STATUS_ZOMBIE and time.monotonic() < gone:
        time.sleep(0.2)
    assert not ours[0].is_running() or ours[0].status() == psutil.STATUS_ZOMBIE


def test_a_trial_stopped_on_a_dask_worker_takes_the_processes_it_started_with_it(data):
    X, y = data
    model = AutoClassifier(time_budget=None, max_trials=3, n_jobs=2, trial_time_limit=3, ensemble_size=0,
                           warm_start="none", search_space_dir=str(COMPONENTS / "spawn"),
                           include=("spawn_model", "logistic_regression")).fit(X, y)
    assert "timeout" in set(model.leaderboard_["status"])
    assert spawned_processes(wait_s=5) == []



@pytest.mark.parametrize("mode", ["spawn", "daemon"])  # a child in its own session; one whose parent left at once
def test_a_trial_stopped_on_a_joined_cluster_takes_the_processes_it_started_with_it(data, mode):
    X, y = data
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs=QUIET_HTTP) as cluster:
        model = AutoClassifier(time_budget=None, max_trials=2, dask_address=cluster.scheduler_address,
                               trial_time_limit=3, ensemble_size=0, warm_start="none",
                               search_space_dir=str(COMPONENTS / mode),
                               include=(f"{mode}_model", "logistic_regression")).fit(X, y)
        assert spawned_processes(wait_s=10) == [] and "timeout" in set(model.leaderboard_["status"])
