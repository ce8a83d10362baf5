"""Run settings: settings.json round-trips, format 1 reads, a newer format is refused in one sentence."""

import json

import pytest

from automl.errors import InputError
from automl.settings import RUN_FORMAT, RunSettings


def test_run_settings_round_trip_keep_the_parameters_at_the_top_level():
    settings = RunSettings("AutoRegressor", "regression", "rmse", {"seed": 3, "max_trials": 6, "include": ["ridge"]},
                           target="price", validation={"kind": "holdout", "n_splits": 1},
                           versions={"automl": "0.1.0"}, sessions=("2026-12-03T10:00:00",))
    on_disk = json.loads(json.dumps(settings.to_json()))
    assert on_disk["format"] == RUN_FORMAT and on_disk["max_trials"] == 6 and on_disk["task"] == "regression"
    assert RunSettings.from_json(on_disk) == settings
    assert settings.value("seed") == 3 and settings.value("metric") == "rmse"


def test_settings_of_format_1_read_and_of_a_newer_format_are_refused_in_one_sentence():
    old = {"time_budget": 60, "seed": 0, "task": "binary", "metric": "roc_auc", "estimator": "AutoClassifier",
           "target": "y", "versions": {}, "validation": {"kind": "cv", "n_splits": 5}, "sessions": ["x"]}
    assert RunSettings.from_json(old).format == 1 and RunSettings.from_json(old).params == {"time_budget": 60, "seed": 0}
    with pytest.raises(InputError, match=r"newer automl \(run format 99\)"):
        RunSettings.from_json({**old, "format": 99}, where="runs/a")
    with pytest.raises(InputError, match="not written by automl"):
        RunSettings.from_json({"seed": 0})
