import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from automl.data import infer_schema, prepare_features
from automl.metrics import get_metric
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from automl.trials.evaluation import TrialData, evaluate, subsample
from automl.trials.resampling import Resampling, choose_resampling, make_folds


def test_resampling_rule():
    assert choose_resampling(1_000, 10, 60) == Resampling("cv", 5)
    assert choose_resampling(20_000, 10, 60) == Resampling("cv", 3)
    assert choose_resampling(60_000, 10, 600).kind == "holdout"
    assert choose_resampling(20_000, 500, 60).kind == "holdout"  # 166,000 cells per budget second
    assert choose_resampling(60_000, 10, 600, forced="cv").kind == "cv"
    assert choose_resampling(100, 10, 60, forced="holdout").kind == "holdout"


def test_folds_are_stratified_and_cover_every_row_once():
    y = np.array([0] * 90 + [1] * 10)
    folds = make_folds(Resampling("cv", 5), y, classification=True, seed=0)
    valid = np.concatenate([v for _, v in folds])
    assert sorted(valid.tolist()) == list(range(100))
    assert all(y[v].sum() == 2 for _, v in folds)
    (train, valid), = make_folds(Resampling("holdout", 1), y, classification=True, seed=0)
    assert len(valid) == 33 and set(train).isdisjoint(valid)


def _high_cardinality_noise(n=400, seed=0):
    """A categorical column with ~2 rows per category and a target that is pure noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"code": [f"c{i}" for i in rng.integers(0, n // 2, size=n)], "x": rng.normal(size=n)})
    return frame, rng.integers(0, 2, size=n)


def _trial_data(frame, y, task="binary"):
    schema = infer_schema(frame)
    X = prepare_features(frame, schema)
    folds = make_folds(Resampling("cv", 5), y, classification=task != "regression", seed=0)
    return TrialData(X, y, schema, task, 2, folds, get_metric("roc_auc", task), 0)


def test_target_encoding_inside_folds_does_not_leak():
    frame, y = _high_cardinality_noise()
    data = _trial_data(frame, y)
    space = build_space("binary", DataShape(len(y), 320, 2, 2), has_categorical=True,
                        include=("target_encoder", "logistic_regression", "no_scaling", "no_preprocessing"))
    outcome = evaluate(space.to_steps(space.default_configs()[0]), data)
    assert outcome.error is None
    assert 1 - outcome.loss < 0.62  # noise stays noise: AUC near 0.5

    # the same model with the encoder fit once on all rows does leak: the test can tell the difference
    encoded = pd.Series(y).groupby(frame["code"]).transform("mean").to_numpy().reshape(-1, 1)
    oof = np.zeros(len(y))
    for train, valid in StratifiedKFold(5, shuffle=True, random_state=0).split(encoded, y):
        oof[valid] = LogisticRegression().fit(encoded[train], y[train]).predict_proba(encoded[valid])[:, 1]
    assert roc_auc_score(y, oof) > 0.75


def test_trial_keeps_out_of_fold_predictions_and_times():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    y = (frame["a"] > 0).to_numpy().astype(int)
    data = _trial_data(frame, y)
    space = build_space("binary", DataShape(150, 120, 2, 2), has_categorical=False)
    outcome = evaluate(space.to_steps(space.default_configs()[0]), data)
    assert outcome.predictions.shape == (150, 2) and outcome.predictions.dtype == np.float32
    assert np.allclose(outcome.predictions.sum(axis=1), 1.0, atol=1e-5)
    assert outcome.loss < 0.05 and outcome.fit_seconds > 0 and outcome.predict_seconds > 0


def test_a_failing_configuration_is_a_failed_outcome_not_an_exception():
    frame, y = _high_cardinality_noise(100)
    data = _trial_data(frame, y)
    space = build_space("binary", DataShape(100, 80, 2, 2), has_categorical=True)
    steps = space.to_steps(space.default_configs()[0])
    steps["model"].params["num_leaves"] = -3
    outcome = evaluate(steps, data)
    assert outcome.loss is None and "num_leaves" in outcome.error


def test_subsample_is_a_fixed_sorted_share_of_the_rows():
    rows = np.arange(100, 200)
    first, again = subsample(rows, 1 / 3, seed=0), subsample(rows, 1 / 3, seed=0)
    assert len(first) == 34 and np.array_equal(first, again) and np.all(np.diff(first) > 0)
    assert set(first) <= set(rows)
    assert subsample(rows, 1.0, seed=0) is rows


def test_a_share_of_grouped_rows_is_whole_groups_and_keeps_every_class():
    groups = np.repeat(np.arange(10), [5, 1, 8, 3, 3, 6, 2, 4, 4, 4])  # uneven groups of 40 rows
    labels = np.where(groups == 6, 1, 0)  # one group alone holds the second class
    rows = np.arange(40)
    for seed in range(5):
        half = subsample(rows, 0.5, seed, groups=groups)
        kept = set(groups[half])
        assert set(half) == {r for r in rows if groups[r] in kept}  # whole groups ...
        assert 16 <= len(half) <= 24  # ... holding the share of the rows nearest half (groups of at most 8)
        assert 6 in set(groups[subsample(rows, 0.5, seed, labels, groups)])  # the rare class's group joins
    assert len(subsample(rows, 1 / 9, 0, groups=groups)) == 5  # a small share stays a share of rows


def test_repeated_folds_validate_each_row_once_per_repeat_and_average_its_predictions():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "z": rng.normal(size=120)})
    y = (frame["x"] + rng.normal(scale=0.5, size=120) > 0).astype(int).to_numpy()
    repeated = Resampling("cv", 5, repeats=3)
    folds = make_folds(repeated, y, classification=True, seed=4)
    assert len(folds) == 15
    counts = np.bincount(np.concatenate([v for _, v in folds]), minlength=120)
    assert counts.tolist() == [3] * 120
    assert [v.tolist() for _, v in folds[5:10]] == [v.tolist() for _, v in make_folds(Resampling("cv", 5), y,
                                                                                        classification=True, seed=5)]
    assert repeated.fit_rows(120) == 3 * 4 * 120 and "repeated 3 times" in repeated.describe()

    schema = infer_schema(frame)
    X = prepare_features(frame, schema)
    data = TrialData(X, y, schema, "binary", 2, folds, get_metric("log_loss", "binary"), 0)
    space = build_space("binary", DataShape(len(y), 96, 2, 2), has_categorical=False,
                        include=("logistic_regression", "standard", "no_preprocessing"))
    fitted = []
    outcome = evaluate(space.to_steps(space.default_configs()[0]), data, fitted=fitted)
    by_hand = np.zeros((120, 2))
    for (pipeline, _), (_, valid) in zip(fitted, folds):
        by_hand[valid] += pipeline.predict_proba(X.iloc[valid]) / 3
    np.testing.assert_allclose(outcome.predictions, by_hand, rtol=1e-5)
    assert outcome.loss == pytest.approx(get_metric("log_loss", "binary").loss(y, by_hand), rel=1e-5)


def test_of_repeated_folds_the_first_repeat_is_the_plan_whose_models_are_kept():
    from automl.trials.evaluation import first_plan
    from automl.trials.resampling import Resampling, make_folds

    y = np.tile([0, 1], 30)
    assert first_plan(make_folds(Resampling("cv", 5), y, classification=True, seed=0)) == 5
    assert first_plan(make_folds(Resampling("cv", 5, repeats=3), y, classification=True, seed=0)) == 5
    assert first_plan(make_folds(Resampling("holdout"), y, classification=True, seed=0)) == 1


def test_a_trial_on_course_past_its_limit_stops_after_its_first_fold():
    from automl.records import TrialStatus
    from automl.trials.rounds import on_course_past

    assert on_course_past(15.0, 4.0, 20.0) == 20.0  # 4 s for one fold of 5: heading for 20 s, past 15
    assert on_course_past(15.0, 2.9, 14.5) is None  # within its limit
    assert on_course_past(15.0, 2.9, 29.0) is None  # too early to tell: under a fifth of its limit spent
    assert on_course_past(15.0, 4.0, 16.0) is None  # within the margin: first folds carry first-call costs
    assert on_course_past(None, 100.0, 500.0) is None

    frame, y = _high_cardinality_noise()
    data = _trial_data(frame, y)
    space = build_space("binary", DataShape(len(y), 320, 2, 2), has_categorical=True,
                        include=("logistic_regression", "no_scaling", "no_preprocessing"))
    steps, fitted = space.to_steps(space.default_configs()[0]), []
    stopped = evaluate(steps, data, fitted, limit_s=1e-6)  # any fold takes longer than that
    assert stopped.status is TrialStatus.TIMEOUT and stopped.loss is None and len(fitted) == 1
    assert stopped.projected_s > 1e-6 and stopped.error.startswith("TimeoutError: stopped after 1 of 5 folds")
    finished = evaluate(steps, data, limit_s=600.0)
    assert finished.status is TrialStatus.OK and finished.projected_s is None


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "catboost", "random_forest", "extra_trees", "mlp"])
def test_a_boosted_model_or_forest_on_course_past_its_limit_stops_between_its_rounds(family):
    """One fold (a holdout) has no second to learn its pace from: the rounds (a forest's chunks of trees,
    a perceptron's epochs) say it."""
    from automl.records import TrialStatus

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    y = (frame["x"] > 0).astype(int).to_numpy()
    schema = infer_schema(frame)
    folds = make_folds(Resampling("holdout"), y, classification=True, seed=0)
    data = TrialData(prepare_features(frame, schema), y, schema, "binary", 2, folds, get_metric("roc_auc", "binary"), 0)
    space = build_space("binary", DataShape(300, 200, 2, 2), has_categorical=False,
                        include=(family, "no_scaling", "no_preprocessing"))
    steps, fitted = space.to_steps(space.default_configs()[0]), []
    stopped = evaluate(steps, data, limit_s=1e-6)
    assert stopped.status is TrialStatus.TIMEOUT and stopped.projected_s > 1e-6
    assert stopped.error.startswith("TimeoutError: stopped in fold 1 of 1, on course for")
    finished = evaluate(steps, data, fitted, limit_s=600.0)
    assert finished.status is TrialStatus.OK and 1 - finished.loss > 0.9
    model = fitted[0][0].steps[-1][1]
    assert "callbacks" not in {k for k, v in model.get_params().items() if v is not None}  # saved as plain as before
    assert not {"fit", "_update_no_improvement_count"} & set(vars(model)) and not model.get_params().get("warm_start")


def test_a_forest_grown_in_chunks_is_the_forest_one_fit_grows():
    import time

    from sklearn.ensemble import ExtraTreesRegressor, RandomForestClassifier

    from automl.trials.rounds import RoundClock, TrialPace, _forest_in_chunks

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), np.tile([0, 1], 100)
    for forest in (RandomForestClassifier(n_estimators=37, random_state=3), ExtraTreesRegressor(n_estimators=37, random_state=3)):
        whole, chunked = clone(forest).fit(X, y), clone(forest)
        _forest_in_chunks(chunked, RoundClock(37, TrialPace(600.0, 0.0, 1), time.perf_counter()))(X, y)
        assert len(chunked.estimators_) == 37 and np.array_equal(whole.predict(X), chunked.predict(X))
        assert all(a.tree_.threshold.tolist() == b.tree_.threshold.tolist()
                   for a, b in zip(whole.estimators_, chunked.estimators_))


def test_a_round_clock_projects_rounds_that_slow_as_they_go(monkeypatch):
    """Dart rounds cost more as trees accumulate: projected linearly, such a fit ran into its limit."""
    from automl.trials import rounds
    from automl.trials.rounds import OnCourseOver, RoundClock, TrialPace

    now = iter([1.0, 5.0])  # set-up: 1 s to the first of 100 rounds, then 4 s for the next 19
    monkeypatch.setattr(rounds.time, "perf_counter", lambda: next(now))
    linear = RoundClock(100, TrialPace(25.0, 0.0, 1), started=0.0)
    linear.tick(1)
    linear.tick(20)  # 1 + 4 x 99 / 19 = 21.8 s: within 1.1 x 25 s
    now = iter([1.0, 5.0])
    slowing = RoundClock(100, TrialPace(25.0, 0.0, 1), started=0.0, growth=1.5)
    slowing.tick(1)
    with pytest.raises(OnCourseOver) as over:
        slowing.tick(20)  # 1 + 4 x (1000 - 1) / (89.4 - 1) = 46 s
    assert over.value.heading_s == pytest.approx(1 + 4 * 999 / (20 ** 1.5 - 1))


def test_a_round_clock_stops_a_trial_far_past_its_limit_after_a_few_rounds(monkeypatch):
    """Before a twentieth of its rounds, a trial stops only when its first few put it far past its limit:
    a CatBoost heading for 125 s against a 15 s limit had run 6.8 s before its 15th of 300 iterations."""
    from automl.trials import rounds
    from automl.trials.rounds import FAR_MARGIN, OnCourseOver, RoundClock, TrialPace

    def clock(set_up_s: float, seconds_per_round: float) -> RoundClock:
        times = iter([set_up_s, set_up_s + 5 * seconds_per_round])  # the first round, then five more
        monkeypatch.setattr(rounds.time, "perf_counter", lambda: next(times))
        started = RoundClock(300, TrialPace(15.0, 0.0, 1), started=0.0)
        started.tick(1)
        return started

    near = clock(2.6, 0.1)  # 3.1 s spent, on course for 2.6 + 0.1 x 299 = 32.5 s: twice the limit,
    near.tick(6)            # told by 5 of 300 rounds: not trusted yet, it runs on
    far = clock(0.5, 0.6)   # 3.5 s spent, on course for 180 s: twelve times the limit
    with pytest.raises(OnCourseOver) as over:
        far.tick(6)
    assert over.value.heading_s > FAR_MARGIN * 15.0


def test_a_fit_that_must_still_run_past_its_limit_stops_at_the_usual_margin(monkeypatch):
    """A perceptron stops only after n_iter_no_change + 1 epochs without improvement: the epochs it must
    still run are a lower bound, trusted after MIN_ROUNDS epochs however few of its max_iter they are."""
    from automl.trials import rounds
    from automl.trials.rounds import OnCourseOver, RoundClock, TrialPace

    def clock(at_s: float) -> RoundClock:
        times = iter([1.0, at_s])  # 1 s to the first epoch of 200, then 0.55 s an epoch
        monkeypatch.setattr(rounds.time, "perf_counter", lambda: next(times))
        started = RoundClock(200, TrialPace(15.0, 0.0, 1), started=0.0, min_share=1.0)
        started.tick(1)
        return started

    clock(3.2).at_least(5, 20)  # 3.2 + 20 x 0.55 = 14.2 s: within the limit
    clock(3.2).at_least(3, 40)  # two epochs since the first: too few to tell the pace
    with pytest.raises(OnCourseOver) as over:
        clock(3.2).at_least(5, 30)  # 3.2 + 30 x 0.55 = 19.7 s: past 1.1 x 15 s
    assert over.value.heading_s == pytest.approx(3.2 + 30 * 0.55)


def test_a_perceptron_that_must_wait_out_its_patience_past_its_limit_stops_early(monkeypatch):
    import warnings

    from sklearn.neural_network import MLPClassifier

    from automl.trials import rounds
    from automl.trials.rounds import OnCourseOver, RoundClock, TrialPace

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)), np.tile([0, 1], 100)

    def fit() -> MLPClassifier:  # 0.5 s an epoch (two looks at the clock); 80 epochs at most: 40 s, within 3 x 15 s
        clock = iter(np.arange(0.0, 1000.0, 0.25))
        monkeypatch.setattr(rounds.time, "perf_counter", lambda: next(clock))
        model = MLPClassifier(max_iter=80, n_iter_no_change=60, tol=1.0, random_state=0)  # never improves by 1.0
        with warnings.catch_warnings(), rounds.rounds_watched(model, {}, TrialPace(15.0, 0.0, 1)):
            warnings.simplefilter("ignore")
            model.fit(X, y)
        return model

    with pytest.raises(OnCourseOver) as over:
        fit()  # after 3 s, 60 more epochs to wait (30 s) are certain: past 1.1 x 15 s
    assert over.value.heading_s > 16.5
    monkeypatch.setattr(RoundClock, "at_least", lambda self, done, more: None)
    assert fit().n_iter_ == 62  # projected to max_iter alone it runs on until its patience ends: 31 s
