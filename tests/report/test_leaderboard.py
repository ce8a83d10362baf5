"""The leaderboard: trials best first, failures last with their status and reason, the key hyperparameters."""

from automl.metrics import get_metric
from automl.report.leaderboard import family_params, leaderboard, not_ok, short_params, terminal_table
from tests.helpers import make_record

FOREST = {"model": "random_forest", "random_forest:n_estimators": 100, "random_forest:max_features": 0.5,
          "imputer": "median", "scaler": "no_scaling"}
RIDGE = {"model": "logistic_regression", "logistic_regression:C": 0.123456, "imputer": "mean", "scaler": "standard"}


def _board(weights=None):
    trials = [make_record(0, FOREST, "initial design", 0.2, 1.5, scores={"roc_auc": 0.8, "accuracy": 0.7}),
              make_record(1, RIDGE, "smac", None, 0.1, error="ValueError: bad"),
              make_record(2, RIDGE, "smac", 0.1, 0.2, warnings={"ConvergenceWarning": 3}, scores={"roc_auc": 0.9})]
    return leaderboard(trials, get_metric("roc_auc", "binary"), {"random_forest": ["n_estimators"]}, weights)


def test_trials_are_ranked_by_loss_with_failures_last():
    board = _board()
    assert list(board["trial_id"]) == [2, 0, 1] and list(board["rank"]) == [1, 2, 3]
    assert list(board["status"]) == ["ok", "ok", "failed"] and board.loc[2, "error"] == "ValueError: bad"
    assert board.loc[0, "roc_auc"] == 0.9 and board.loc[0, "warnings"] == 3
    assert "accuracy" in board.columns  # a metric scored alongside gets its own column
    assert board["ensemble_weight"].isna().all()  # no final model yet


def test_weights_and_key_hyperparameters_are_shown():
    board = _board({0: 0.25, 2: 0.75})
    assert list(board["ensemble_weight"]) == [0.75, 0.25, 0.0]
    forest = board[board["trial_id"] == 0].iloc[0]
    assert forest["key_hyperparameters"] == {"n_estimators": 100}  # the family names its key ones
    assert forest["hyperparameters"] == {"n_estimators": 100, "max_features": 0.5}
    text = terminal_table(board, "roc_auc", top=2)
    assert "n_estimators=100" in text and "C=0.123" in text and "ValueError" not in text  # the failure is third


def test_family_params_and_short_params():
    params, key = family_params(RIDGE, {})
    assert params == key == {"C": 0.123456}
    assert short_params({"a": 1.23456, "b": "x" * 50}, 20) == "a=1.23, b=xxxxxxx..."  # 20 characters


def test_the_summary_counts_skipped_configurations_apart_from_failed_ones():
    import pandas as pd

    assert not_ok(pd.Series(["ok", "skipped", "timeout", "ok", "skipped", "failed"])) == "2 failed, 2 skipped"
    assert not_ok(pd.Series(["ok", "ok"])) == "0 failed"
