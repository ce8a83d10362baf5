"""A run directory read back: settings, trials, data summary and weights, as reports and figures need them."""

import pytest

from automl import AutoClassifier
from automl.errors import InputError
from automl.report.runview import RunView


def test_a_fitted_run_reads_back_from_its_directory_or_its_estimator(mixed_frame):
    X, y = mixed_frame
    model = AutoClassifier(time_budget=None, max_trials=3, warm_start="none", include=("logistic_regression",),
                           ensemble_size=0).fit(X, y)
    view = RunView.read(model)
    assert RunView.read(view) is view and RunView.read(model.run_dir_).trials == view.trials
    assert view.settings.task == "binary" and view.metric.name == "roc_auc"
    assert view.summary["rows"] == len(X) and view.weights == model.ensemble_weights_ and len(view.weights) == 1
    frame = view.frame()
    assert list(frame["trial_id"]) == [0, 1, 2] and frame["ok"].all()
    assert frame["score"].between(0, 1).all() and set(frame["model"]) == {"logistic_regression"}


def test_a_folder_that_is_not_a_run_or_has_no_trial_is_one_sentence(tmp_path):
    with pytest.raises(InputError, match="is not an automl run directory"):
        RunView.read(tmp_path)
