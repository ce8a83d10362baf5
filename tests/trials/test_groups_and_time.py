"""Groups never straddle a split, time-ordered splits validate on later rows, cv takes folds or a splitter."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.model_selection import GroupKFold, RepeatedKFold, TimeSeriesSplit

from automl import AutoClassifier
from automl.cli.main import main
from automl.errors import InputError
from automl.trials.resampling import Resampling, make_folds
from tests.helpers import recorded_splits, row_recorder_space


def _recorder(tmp_path) -> tuple[dict, str]:
    """Estimator options whose only family records the rows it sees, and the file it writes."""
    folder, log = row_recorder_space(tmp_path)
    return dict(time_budget=None, max_trials=1, search_space_dir=folder, include=("row_recorder",), ensemble_size=0,
                warm_start="none"), log


def _table(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"row": np.arange(n) + 0.25}), rng.choice(["a", "b"], size=n)


@pytest.mark.parametrize("resampling", ["cv", "holdout"])
def test_no_group_is_ever_on_both_sides_of_a_trials_split(tmp_path, resampling):
    options, log = _recorder(tmp_path)
    X, y = _table()
    groups = np.random.default_rng(1).integers(0, 15, size=len(y))  # 15 groups of uneven size, scattered
    model = AutoClassifier(resampling=resampling, **options).fit(X, y, groups=groups)
    splits = recorded_splits(log)
    # the trial's folds, then the estimate's step to all rows: half of two folds' (a holdout's) training rows
    assert len(splits) == (5 + 2 if resampling == "cv" else 1 + 1) and "by group" in model.resampling_
    for fitted, validated in splits:
        assert {groups[r] for r in fitted}.isdisjoint({groups[r] for r in validated})
    assert set().union(*(v for _, v in splits)) == (set(range(len(y))) if resampling == "cv" else splits[0][1])
    trial_folds = splits[:5 if resampling == "cv" else 1]
    for fitted, validated in splits[len(trial_folds):]:  # the step's half-size fits: whole groups, about half of them
        fold_rows = next(f for f, v in trial_folds if v == validated)
        kept = {groups[r] for r in fitted}
        assert kept < {groups[r] for r in fold_rows} and set(fitted) == {r for r in fold_rows if groups[r] in kept}
        assert 0.4 * len(fold_rows) <= len(fitted) <= 0.75 * len(fold_rows)


def test_time_ordered_splits_validate_on_later_rows_and_the_refit_sees_all(tmp_path):
    options, log = _recorder(tmp_path)
    X, y = _table()
    model = AutoClassifier(cv="time", **options).fit(X, y)
    splits = recorded_splits(log)
    assert len(splits) == 5 and model.resampling_ == "5-fold cross-validation (forward in time)"
    for fitted, validated in splits:
        assert max(fitted) < min(validated)
    last = json.loads(open(log).read().splitlines()[-1])
    assert last["step"] == "fit" and len(last["rows"]) == len(y)  # the final model is refit on every row


def test_the_command_line_sorts_by_the_time_column_and_drops_the_group_column(tmp_path):
    space, log = row_recorder_space(tmp_path)
    rng = np.random.default_rng(0)
    n = 90
    order = rng.permutation(n)  # the file's rows are not in time order
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(order, unit="D")
    table = pd.DataFrame({"rank": order + 0.25, "when": days.strftime("%Y-%m-%d"), "label": rng.choice(["x", "y"], n)})
    table.to_csv(tmp_path / "timed.csv", index=False)
    common = ["--target", "label", "--trials", "1", "--space-dir", space, "--include", "row_recorder",
              "--ensemble-size", "0", "--warm-start", "none"]
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "timed.csv"), "--time-column", "when", "--resampling",
                                       "holdout", "--out", str(tmp_path / "t.skops"), *common], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "validated by holdout (the last 33% validation; forward in time)" in result.output
    ((fitted, validated),) = recorded_splits(log)
    assert max(fitted) < min(validated) and len(validated) == 30
    Path(log).unlink()
    table.assign(shop=np.arange(n) % 9).to_csv(tmp_path / "grouped.csv", index=False)
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "grouped.csv"), "--group-column", "shop",
                                       "--out", str(tmp_path / "g.skops"), *common], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shop = dict(zip(table["rank"].round().astype(int), np.arange(n) % 9))  # a row's shop, by its rank
    for fitted, validated in recorded_splits(log):
        assert {shop[r] for r in fitted}.isdisjoint({shop[r] for r in validated})


def test_bad_group_and_time_columns_are_one_sentence(tmp_path):
    data = tmp_path / "data.csv"
    pd.DataFrame({"x": range(20), "one": ["g"] * 20, "when": ["soon"] * 20, "gap": [None] + ["2024-01-02"] * 19,
                  "label": [0, 1] * 10}).to_csv(data, index=False)
    cases = [(["--group-column", "one"], "Error: --group-column 'one' holds a single group ('g'); validation by group "
                                         "needs at least two."),
             (["--time-column", "when"], "Error: --time-column 'when' holds neither numbers nor dates (like 'soon')."),
             (["--time-column", "gap"], "Error: --time-column 'gap' has 1 missing or unreadable value(s), like nan; "
                                        "every row needs a time."),
             (["--time-column", "nope"], "Error: --time-column 'nope' is not a column of the table.")]
    for options, message in cases:
        result = CliRunner().invoke(main, ["fit", str(data), "--target", "label", "--trials", "1", *options,
                                           "--run-dir", str(tmp_path / "run")])
        assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == message, result.output
        assert not (tmp_path / "run").exists() and not (tmp_path / "data.skops").exists()


def test_cv_takes_a_number_of_folds_or_a_splitter_and_refuses_overlapping_ones():
    X, y = _table(60)
    model = AutoClassifier(time_budget=None, max_trials=1, include=("logistic_regression",), ensemble_size=0,
                           cv=GroupKFold(3)).fit(X, y, groups=np.arange(60) % 6)
    assert model.resampling_.startswith("your splitter GroupKFold(") and "(3 splits, by group)" in model.resampling_
    assert AutoClassifier(time_budget=None, max_trials=1, cv=4, include=("logistic_regression",)).fit(X, y).resampling_ \
        == "4-fold cross-validation"
    with pytest.raises(InputError, match="validates row .* twice"):
        AutoClassifier(time_budget=None, max_trials=1, cv=RepeatedKFold(n_splits=2, n_repeats=2)).fit(X, y)
    for cv, message in ((1, "at least 2 folds"), ("weekly", "number of folds, 'time', or a scikit-learn splitter")):
        with pytest.raises(InputError, match=message):
            AutoClassifier(time_budget=None, max_trials=1, cv=cv).fit(X, y)
    with pytest.raises(InputError, match="either cv or resampling='holdout'"):
        AutoClassifier(time_budget=None, max_trials=1, cv=3, resampling="holdout").fit(X, y)


def test_grouped_folds_stay_stratified_and_time_holdout_is_the_last_third():
    y = np.tile([0, 0, 1], 40)
    groups = np.arange(120) // 4
    for train, valid in make_folds(Resampling("cv", 5, grouped=True), y, classification=True, seed=0, groups=groups):
        assert set(groups[train]).isdisjoint(groups[valid]) and 0.2 < y[valid].mean() < 0.5
    ((train, valid),) = make_folds(Resampling("holdout", 1, time_ordered=True), y, classification=True, seed=0)
    assert list(valid) == list(range(80, 120)) and list(train) == list(range(80))
    folds = make_folds(Resampling("splitter", 3), y, classification=True, seed=0, splitter=TimeSeriesSplit(3))
    assert [len(v) for _, v in folds] == [30, 30, 30]


def test_splitters_that_count_from_the_data_work_and_ones_that_ignore_or_lack_groups_are_one_sentence():
    from sklearn.model_selection import KFold, LeaveOneGroupOut

    X, y = _table(60)
    groups = np.arange(60) % 4
    model = AutoClassifier(time_budget=None, max_trials=1, include=("logistic_regression",), ensemble_size=0,
                           cv=LeaveOneGroupOut()).fit(X, y, groups=groups)
    assert model.resampling_ == "your splitter LeaveOneGroupOut() (its own number of splits, by group)"
    with pytest.raises(InputError, match=r"KFold\(.*\) puts a group on both sides of a split"):
        AutoClassifier(time_budget=None, max_trials=1, cv=KFold(3)).fit(X, y, groups=groups)
    with pytest.raises(InputError, match=r"GroupKFold\(.*\) could not split the rows: .*groups"):
        AutoClassifier(time_budget=None, max_trials=1, cv=GroupKFold(3)).fit(X, y)
    with pytest.raises(InputError, match="Give groups or a time order"):
        AutoClassifier(time_budget=None, max_trials=1, cv="time").fit(X, y, groups=groups)
