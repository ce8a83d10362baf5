"""Sample weights reach every fit and score; any scikit-learn scorer is a metric; score() uses it."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import average_precision_score, fbeta_score, log_loss, make_scorer, roc_auc_score

from automl import AutoClassifier, AutoRegressor
from automl.cli.main import main
from automl.errors import InputError
from automl.metrics import get_metric
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from tests.conftest import COMPONENTS

SEARCH = dict(time_budget=None, max_trials=4, seed=0, include=("logistic_regression", "lightgbm"), ensemble_size=5)


def _board(model) -> pd.DataFrame:
    return model.leaderboard_[["trial_id", "model", "loss", "status"]].reset_index(drop=True)


def test_zero_weights_give_the_same_leaderboard_as_dropping_those_rows(mixed_frame, monkeypatch):
    import functools

    import automl.run.final
    from automl.ensemble import select_weights

    # ensemble members are admitted by measured predict seconds (at most 3 x the first's): timings differ
    # between the two fits under load (CI: an ensemble of 2 against one model), so every member may join
    monkeypatch.setattr(automl.run.final, "select_weights", functools.partial(select_weights, cost_ratio=np.inf))
    X, y = mixed_frame
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.0)
    weighted = AutoClassifier(**SEARCH).fit(X, y, sample_weight=weights)
    kept = weights > 0
    dropped = AutoClassifier(**SEARCH).fit(X[kept].reset_index(drop=True), y[kept].reset_index(drop=True))
    pd.testing.assert_frame_equal(_board(weighted), _board(dropped))
    assert weighted.final_model_.line() == dropped.final_model_.line()


def test_zero_weights_through_the_command_line_match_dropped_rows(tmp_path, mixed_frame):
    X, y = mixed_frame
    table = X.assign(label=y, w=np.where(np.arange(len(y)) % 3 == 0, 0, 1))
    table.to_csv(tmp_path / "weighted.csv", index=False)
    table[table["w"] > 0].drop(columns="w").to_csv(tmp_path / "dropped.csv", index=False)
    boards = []
    for name, extra in (("weighted", ["--weight-column", "w"]), ("dropped", [])):
        options = ["--target", "label", "--trials", "3", "--seed", "0", "--include", "logistic_regression,lightgbm",
                   "--run-dir", str(tmp_path / f"run-{name}"), "--out", str(tmp_path / f"{name}.skops"), *extra]
        result = CliRunner().invoke(main, ["fit", str(tmp_path / f"{name}.csv"), *options], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        out = tmp_path / f"{name}-board.csv"
        CliRunner().invoke(main, ["leaderboard", str(tmp_path / f"run-{name}"), "--csv", str(out)], catch_exceptions=False)
        boards.append(pd.read_csv(out)[["trial_id", "model", "loss"]])
    pd.testing.assert_frame_equal(*boards)


def test_weights_reach_every_trial_fit_every_score_and_the_refit():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=90)})
    y = np.repeat(["a", "b", "c"], 30)
    weights = np.where(y == "c", 4.0, 1.0)  # class c weighs four times as much: a prior of 4/6
    model = AutoClassifier(time_budget=None, max_trials=1, search_space_dir=str(COMPONENTS / "prior"),
                           include=("prior_model",), ensemble_size=0, warm_start="none", resampling="cv")
    model.fit(X, y, sample_weight=weights)
    assert model.predict_proba(X.iloc[:1])[0] == pytest.approx([1 / 6, 1 / 6, 4 / 6])  # the refit saw the weights
    (trial,) = model.trials_
    oof = model.oof_predictions_[trial.trial_id]
    assert oof[:, 2] == pytest.approx(np.full(90, 4 / 6), abs=0.02)  # every fold's fit saw them
    codes = np.searchsorted(model.classes_, y)
    assert trial.loss == pytest.approx(log_loss(codes, oof, sample_weight=weights))  # and the validation score
    assert trial.loss != pytest.approx(log_loss(codes, oof))


def test_families_without_weights_leave_the_space_and_bad_weights_are_one_sentence(mixed_frame):
    shape = DataShape(n_rows=100, fold_rows=80, n_features=3, n_classes=2)
    space = build_space("binary", shape, has_categorical=False, weighted=True)
    models = {c.name for c in space.components.values() if c.step == "model"}
    assert "k_nearest_neighbors" not in models and {"lightgbm", "catboost", "logistic_regression"} <= set(models)
    with pytest.raises(InputError, match="No model family left takes sample weights"):
        build_space("binary", shape, has_categorical=False, include=("k_nearest_neighbors",), weighted=True)
    X, y = mixed_frame
    cases = {"negative value": np.r_[-1.0, np.ones(len(y) - 1)], "missing, non-numeric or infinite": np.r_[np.nan, np.ones(len(y) - 1)],
             "has 3 values but X has 120 rows": np.ones(3), "Every weight in sample_weight is zero": np.zeros(len(y))}
    for message, weights in cases.items():
        with pytest.raises(InputError, match=message):
            AutoClassifier(**SEARCH).fit(X, y, sample_weight=weights)


def test_weight_column_errors_on_the_command_line(tmp_path, mixed_frame):
    X, y = mixed_frame
    data = tmp_path / "data.csv"
    X.assign(label=y, w=np.r_[-2, np.ones(len(y) - 1)]).to_csv(data, index=False)
    for column, message in (("w", "Error: --weight-column 'w' holds 1 negative value(s), like -2; weights must be zero or more."),
                            ("nope", "Error: --weight-column 'nope' is not a column of the table."),
                            ("label", "Error: --weight-column 'label' is the target; name another column.")):
        result = CliRunner().invoke(main, ["fit", str(data), "--target", "label", "--weight-column", column, "--trials", "1",
                                           "--run-dir", str(tmp_path / "run")])
        assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == message
        assert not (tmp_path / "run").exists() and not (tmp_path / "data.skops").exists()


def test_scorer_names_and_objects_score_kept_predictions_as_scikit_learn_does():
    y = np.array([0, 1, 1, 0, 1, 0])
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    weights = np.array([1, 2, 1, 1, 3, 1.0])
    precision = get_metric("average_precision", "binary", np.array(["no", "yes"]))
    assert precision.score(y, proba) == pytest.approx(average_precision_score(y, proba[:, 1]))
    assert precision.score(y, proba, weights) == pytest.approx(average_precision_score(y, proba[:, 1], sample_weight=weights))
    assert precision.loss(y, proba) == pytest.approx(1 - average_precision_score(y, proba[:, 1]))
    brier = get_metric("neg_brier_score", "binary")
    assert brier.loss(y, proba) == pytest.approx(np.mean((proba[:, 1] - y) ** 2))  # a negated loss: optimum 0
    f2 = get_metric(make_scorer(fbeta_score, beta=2, pos_label="yes"), "binary", np.array(["no", "yes"]))
    assert f2.score(y, proba) == pytest.approx(fbeta_score(y, proba.argmax(axis=1), beta=2))
    assert get_metric("roc_auc", "binary").score(y, proba, weights) == pytest.approx(
        roc_auc_score(y, proba[:, 1], sample_weight=weights))
    with pytest.raises(InputError, match="does not fit a regression task"):
        get_metric("average_precision", "regression")
    with pytest.raises(InputError, match="cannot be pickled"):
        get_metric(make_scorer(lambda a, b: 1.0), "binary")


def test_a_scorer_drives_the_search_and_score_uses_the_fits_metric(mixed_frame):
    X, y = mixed_frame
    model = AutoClassifier(metric="average_precision", **SEARCH).fit(X, y)
    assert model.metric_ == "average_precision" and "average_precision" in model.leaderboard_
    assert model.estimated_score_.metric == "average_precision"
    expected = average_precision_score(y == "yes", model.predict_proba(X)[:, 1])
    assert model.score(X, y) == pytest.approx(expected)
    scorer = make_scorer(fbeta_score, beta=2, pos_label="yes")
    custom = AutoClassifier(metric=scorer, **SEARCH).fit(X, y)
    assert custom.metric_ == repr(scorer)
    assert custom.score(X, y) == pytest.approx(fbeta_score(y, custom.predict(X), beta=2, pos_label="yes"))
    default = AutoClassifier(**SEARCH).fit(X, y)
    assert default.score(X, y) == pytest.approx(roc_auc_score(y == "yes", default.predict_proba(X)[:, 1]))
    three = np.array(["a", "b", "c"])[np.arange(len(y)) % 3]
    with pytest.raises(InputError, match="cannot score this classification task"):
        AutoClassifier(metric="precision", **SEARCH).fit(X, three)


def test_a_regressor_scores_by_its_metric_negated_when_lower_is_better():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80)})
    y = 2 * X["a"] + rng.normal(scale=0.1, size=80)
    model = AutoRegressor(time_budget=None, max_trials=2, include=("ridge",)).fit(X, y)
    assert model.metric_ == "rmse" and model.score(X, y) == pytest.approx(-np.sqrt(np.mean((model.predict(X) - y) ** 2)))
    r2 = AutoRegressor(time_budget=None, max_trials=2, include=("ridge",), metric="explained_variance").fit(X, y)
    assert r2.metric_ == "explained_variance" and r2.score(X, y) > 0.9


def test_a_custom_scorer_run_resumes_from_python_and_is_refused_in_one_sentence_by_the_cli(tmp_path, mixed_frame):
    X, y = mixed_frame
    scorer = make_scorer(fbeta_score, beta=2, pos_label="yes")
    run_dir = tmp_path / "run"
    options = dict(time_budget=None, seed=0, include=("logistic_regression",), run_dir=str(run_dir), ensemble_size=0)
    AutoClassifier(metric=scorer, max_trials=2, **options).fit(X, y)
    resumed = AutoClassifier(metric=scorer, max_trials=3, resume=True, **options).fit(X, y)
    assert resumed.resumed_trials_ == 2 and resumed.n_trials_ == 3
    board = CliRunner().invoke(main, ["leaderboard", str(run_dir)], catch_exceptions=False)
    assert board.exit_code == 0 and f"metric {scorer!r}" in board.output
    data = tmp_path / "data.csv"
    X.assign(label=y).to_csv(data, index=False)
    again = CliRunner().invoke(main, ["fit", str(data), "--target", "label", "--resume", str(run_dir), "--trials", "4"])
    assert again.exit_code == 2 and "is a custom scorer recorded by its description only" in again.output
    assert len(again.output.strip().splitlines()) == 1


def test_a_resume_takes_the_recorded_weight_and_group_columns_and_asks_for_the_time_column(tmp_path, mixed_frame):
    import json

    X, y = mixed_frame
    table = X.assign(label=y, w=np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0), shop=np.arange(len(y)) % 7,
                     day=np.arange(len(y)))
    table.to_csv(tmp_path / "t.csv", index=False)
    common = ["--target", "label", "--include", "logistic_regression", "--out", str(tmp_path / "m.skops")]
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "t.csv"), "--trials", "1", "--weight-column", "w",
                                       "--group-column", "shop", "--run-dir", str(tmp_path / "run"), *common])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "run" / "settings.json").read_text())["columns"] == {"weight": "w", "group": "shop"}
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "t.csv"), "--trials", "2", "--resume", str(tmp_path / "run"),
                                       *common])  # neither column given again: the run's own
    assert result.exit_code == 0, result.output
    assert "2 trials (0 failed, 1 of them from before)" in result.output and "(by group)" in result.output

    result = CliRunner().invoke(main, ["fit", str(tmp_path / "t.csv"), "--trials", "1", "--time-column", "day",
                                       "--run-dir", str(tmp_path / "timed"), *common, "--force"])
    assert result.exit_code == 0, result.output
    before = (tmp_path / "timed" / "trials.jsonl").read_text()
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "t.csv"), "--trials", "2", "--resume", str(tmp_path / "timed"),
                                       *common])
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == (
        f"Error: Cannot resume {tmp_path / 'timed'} without --time-column: its run validated forward in time; give the "
        "same column again.")
    assert (tmp_path / "timed" / "trials.jsonl").read_text() == before
