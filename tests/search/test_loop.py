"""The search loop with fake trials: multi-fidelity, skips, the optimizer's time share, kept predictions, reproducibility."""

import json
import os
import subprocess
import sys
import time

import numpy as np

from automl.run.budget import Budget
from automl.search.loop import SearchSettings, run_search
from automl.search.result import SearchResult, keep_best_predictions
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from automl.trials.outcomes import TrialOutcome


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


def test_a_search_in_which_every_configuration_is_skipped_stops_instead_of_spinning(tmp_path):
    from automl.search.loop import MAX_SKIPPED_IN_A_ROW, SKIPPED_ALL

    trials = FakeTrials()
    result = run_search(_space(), trials, SearchSettings("random", 0, None, output_dir=tmp_path), Budget(None, time.monotonic()),
                        skip=lambda config, fraction: "MemoryEstimate: too big")  # no trial or time budget to end it
    assert len(result.trials) == result.skipped == MAX_SKIPPED_IN_A_ROW and not trials.submitted
    assert result.stop_reason == SKIPPED_ALL


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


SEARCH_IN_A_PROCESS = """
import json, sys, time, zlib
from pathlib import Path
from automl.run.budget import Budget
from automl.search.loop import SearchSettings, run_search
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from automl.trials.outcomes import TrialOutcome

class Trials:
    def submit(self, config, timeout_s, limit_s, fraction=1.0):
        self.config = config
    def collect(self, should_stop):
        return TrialOutcome(zlib.crc32(json.dumps(self.config, sort_keys=True).encode()) % 1000 / 1000, 0.01, 0.0)

space = build_space("regression", DataShape(n_rows=1000, fold_rows=800, n_features=8, n_classes=0), has_categorical=False)
result = run_search(space, Trials(), SearchSettings("smac", 0, 24, output_dir=Path(sys.argv[1])), Budget(None, time.monotonic()))
print(json.dumps([t.config for t in result.trials], sort_keys=True))
"""


def test_a_trial_budget_and_a_seed_give_the_same_search_in_every_process(tmp_path):
    """SMAC's local search once ordered its start points by Python's per-process string hashing."""
    runs = [subprocess.run([sys.executable, "-c", SEARCH_IN_A_PROCESS, str(tmp_path / seed)], capture_output=True,
                           text=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1] and len(json.loads(runs[0])) == 24
