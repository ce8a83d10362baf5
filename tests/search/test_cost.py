"""Predicted trial seconds: work from the YAML's cost hyperparameters, rates from this run or the metabase."""

import time

import pytest

from automl.metalearning.metabase import DatasetEntry, Metabase
from automl.records import TrialStatus
from automl.run.budget import Budget
from automl.search.cost import CostModel, TableWork, metabase_rates
from automl.search.design import cheap_first
from automl.search.loop import SearchSettings, run_search
from automl.space.bounds import DataShape
from automl.space.configspace import build_space
from automl.trials.outcomes import TrialOutcome


def _space(task="multiclass", n_classes=5):
    return build_space(task, DataShape(n_rows=1000, fold_rows=800, n_features=10, n_classes=n_classes),
                       has_categorical=False, include=("lightgbm", "random_forest", "logistic_regression"))


def _config(space, model, **values):
    config = next(c for c in space.default_configs() if c["model"] == model)
    return {**config, **{f"{model}:{k}": v for k, v in values.items()}}


def _ran(trial_id, config, seconds, status=TrialStatus.OK):
    """A trial of ``config`` that ran ``seconds`` and ended with ``status``."""
    from automl.records import TrialRecord, TrialResult, TrialSpec

    loss = 0.5 if status is TrialStatus.OK else None
    return TrialRecord(trial_id, TrialSpec(config, "test", 1.0),
                       TrialResult(status, loss, seconds, 0.0, {}, None, {}, 10.0, 10.0 + seconds))


def test_work_grows_with_trees_and_classes_and_the_run_s_own_trials_set_the_rate():
    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))
    small, big = _config(space, "lightgbm", n_estimators=100), _config(space, "lightgbm", n_estimators=400)
    assert cost.work(big) == 4 * cost.work(small) == 4 * 100 * 5 * 31  # one tree per class and round, of 31 leaves
    assert cost.work(_config(space, "lightgbm", n_estimators=100, num_leaves=124)) == pytest.approx(4 * cost.work(small))
    assert cost.work(small, fraction=1 / 3) == pytest.approx(cost.work(small) / 3)
    xgboost = build_space("multiclass", DataShape(1000, 800, 10, 5), has_categorical=False, include=("xgboost",))
    deep, shallow = _config(xgboost, "xgboost", max_depth=9), _config(xgboost, "xgboost", max_depth=6)
    assert CostModel(xgboost.components, TableWork(4000, 10, 5)).work(deep) == pytest.approx(
        4 * CostModel(xgboost.components, TableWork(4000, 10, 5)).work(shallow))  # doubles every 1.5 levels
    assert cost.predict(big, 1.0, []) is None  # no metabase, no trial of the family yet
    seconds, basis = cost.predict(big, 1.0, [_ran(0, small, 2.0)])
    assert basis == "this run" and abs(seconds - 8.0) < 1e-9
    # a time-out counts at the time it ran: a lower bound, enough to skip what is bigger still
    timed_out = _ran(1, big, 20.0, TrialStatus.TIMEOUT)
    assert "predicted to take 40 s" in cost.too_slow(_config(space, "lightgbm", n_estimators=800), 1.0, 20.0, [timed_out])
    assert cost.too_slow(_config(space, "lightgbm", n_estimators=200), 1.0, 20.0, [timed_out]) is None


def test_catboost_s_target_encoded_columns_count_in_its_work():
    """A categorical column of more levels than one_hot_max_size is encoded by target statistics: on a 9-class
    table CatBoost with one_hot_max_size 2 took 40 times as long as with 16, and was priced by the latter."""
    space = build_space("multiclass", DataShape(1000, 800, 10, 5), has_categorical=True, include=("catboost",))
    one_hot, encoded = _config(space, "catboost", one_hot_max_size=16), _config(space, "catboost", one_hot_max_size=2)
    plain = CostModel(space.components, TableWork(4000, 10, 5))  # no categorical column known: no term
    assert plain.work(encoded) == plain.work(one_hot)
    table = CostModel(space.components, TableWork(4000, 10, 5, category_levels=(2, 9, 30)))
    assert table.work(one_hot) == pytest.approx(plain.work(one_hot) * (10 + 19 * 1) / 10)  # 30 levels: 4 x 5 - 1 more
    assert table.work(encoded) == pytest.approx(plain.work(one_hot) * (10 + 19 * 2) / 10)  # 9 and 30 levels
    seconds, _ = table.predict(encoded, 1.0, [_ran(0, one_hot, 2.0)])
    assert seconds == pytest.approx(2.0 * 48 / 29)
    regression = build_space("regression", DataShape(1000, 800, 10, 0), has_categorical=True, include=("catboost",))
    config = _config(regression, "catboost", one_hot_max_size=2)
    assert CostModel(regression.components, TableWork(4000, 10, 0, (9,))).work(config) == pytest.approx(
        CostModel(regression.components, TableWork(4000, 10, 0)).work(config) * 13 / 10)  # 4 columns for one


def test_the_metabase_prior_scales_with_the_table_and_is_calibrated_by_this_run():
    space = _space("binary", 2)
    forest, logistic = _config(space, "random_forest"), _config(space, "logistic_regression")
    entry = DatasetEntry("earlier", "binary", "roc_auc", {"log_rows": 6.907755, "log_features": 2.302585},  # 1000 x 10
                         [0.1, 0.2], seconds=[4.0, 1.0])
    metabase = Metabase(pools={"classification": [forest, logistic]}, datasets=[entry])
    rates = metabase_rates(metabase, "binary", space.components)
    cost = CostModel(space.components, TableWork(8000, 20, 2), rates)  # twice the rows fitted, twice the columns
    seconds, basis = cost.predict(forest, 1.0, [])
    assert basis == "metabase" and abs(seconds - 16.0) < 1e-6
    # this machine ran the logistic regression 1.5x slower than the prior said: the forest's prior follows
    slow_logistic = _ran(0, logistic, 1.5 * cost.prior_seconds(logistic))
    assert cost.predict(forest, 1.0, [slow_logistic])[0] == pytest.approx(24.0)
    # ... but within CALIBRATION_RANGE (1 x to 2 x): one family's poor fit to the prior is not the machine's speed,
    # and a quickly converging model never prices the others below the metabase's record
    assert cost.predict(forest, 1.0, [_ran(0, logistic, 3.0 * cost.prior_seconds(logistic))])[0] == pytest.approx(32.0)
    assert cost.predict(forest, 1.0, [_ran(0, logistic, 0.1 * cost.prior_seconds(logistic))])[0] == pytest.approx(16.0)
    assert cost.too_slow(forest, 1.0, 10.0, []) is None  # 16 s on the metabase's word: within 2 x 10 s
    assert cost.too_slow(forest, 1.0, 10.0, [], prior_margin=1.0).startswith("TimeEstimate: skipped")
    assert cost.too_slow(forest, 1.0, 7.0, []).startswith("TimeEstimate: skipped")


def test_a_pool_configuration_carries_its_own_time_factor_read_on_the_metabase_s_larger_tables():
    from automl.search.cost import factor_key, metabase_factors

    space = _space("binary", 2)
    lbfgs = _config(space, "logistic_regression")
    other = {**lbfgs, "logistic_regression:C": 2.0}
    saga = {**lbfgs, "logistic_regression:solver": "saga", "logistic_regression:l1_ratio": 0.5}
    large = {"log_rows": 7.6, "log_features": 5.3}  # about 2,000 x 200: the family takes seconds
    entries = [DatasetEntry(f"large{i}", "binary", "roc_auc", large, [0.1] * 3, seconds=[1.0, 1.0, 10.0])
               for i in range(5)]
    entries += [DatasetEntry(f"small{i}", "binary", "roc_auc", {"log_rows": 5.0, "log_features": 1.0}, [0.1] * 3,
                             seconds=[0.05] * 3) for i in range(6)]  # fixed overheads: the same for all three
    metabase = Metabase(pools={"classification": [lbfgs, other, saga]}, datasets=entries)
    rates = metabase_rates(metabase, "binary", space.components)
    factors = metabase_factors(metabase, "binary", space.components, rates)
    key = lambda config: factor_key(config, space.components)  # noqa: E731
    # the large tables speak, and the factors are relative to the family's median configuration
    assert factors[key(saga)] == pytest.approx(10.0) and factors[key(lbfgs)] == pytest.approx(1.0)
    cost = CostModel(space.components, TableWork(8000, 200, 2), rates, (lbfgs, other, saga), factors)
    assert cost.predict(saga, 1.0, [])[0] == pytest.approx(10 * cost.predict(lbfgs, 1.0, [])[0])
    # an encoder's keys (a table with categories) do not change the identity; a projection that drops a
    # configuration leaves it without a factor
    assert key({**saga, "encoder": "onehot", "onehot:max_categories": 32}) == key(saga)
    assert key(saga) not in metabase_factors(metabase, "binary", space.components, rates,
                                             lambda c: None if c["logistic_regression:solver"] == "saga" else c)
    # this run's lbfgs ran 20 times faster than its prior: a configuration the metabase never timed is
    # priced at that rate, the saga one not below its own prior lowered by an eighth (FLOOR_CUT)
    quick = _ran(0, lbfgs, 0.05 * cost.prior_seconds(lbfgs))
    untimed = {**lbfgs, "logistic_regression:C": 0.5}
    assert cost.predict(untimed, 1.0, [quick]) == (pytest.approx(quick.finished_s - quick.started_s), "this run")
    seconds, basis = cost.predict(saga, 1.0, [quick])
    assert basis == "this run" and seconds == pytest.approx(cost.prior_seconds(saga) / 8)
    assert cost.too_slow(saga, 1.0, 0.9 * seconds, [quick]) is not None  # skipped past the limit itself, not twice it
    # ... and where its family ran 4 times faster than the metabase said, at that rate (not the run's, never below 1)
    slower, _ = cost.predict(saga, 1.0, [_ran(0, lbfgs, 0.25 * cost.prior_seconds(lbfgs))])
    assert slower == pytest.approx(cost.prior_seconds(saga) / 4)
    # once the saga configuration itself ran here, its own time speaks
    assert cost.predict(saga, 1.0, [quick, _ran(1, saga, 3.0)]) == (pytest.approx(3.0), "this run")


def test_each_family_is_one_vote_in_the_calibration():
    space = _space("binary", 2)
    forest, logistic, boosted = (_config(space, m) for m in ("random_forest", "logistic_regression", "lightgbm"))
    cost = CostModel(space.components, TableWork(8000, 20, 2), {"random_forest": 1e-5, "logistic_regression": 1e-6,
                                                                 "lightgbm": 1e-7 / 31})
    def ran(config, ratio):
        return _ran(0, config, ratio * cost.prior_seconds(config))

    quick_linear = [ran(logistic, 0.1) for _ in range(6)]  # six linear models far faster than their prior ...
    assert cost.calibration([*quick_linear, ran(forest, 1.2), ran(boosted, 1.0)]) == pytest.approx(1.0)  # ... one vote
    assert cost.calibration([]) == 1.0


@pytest.mark.parametrize("search", ["random", "smac"])
def test_a_cheap_configuration_goes_first_and_a_predicted_time_out_never_runs(tmp_path, search):
    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))
    slow, fast = _config(space, "random_forest", n_estimators=500), _config(space, "lightgbm", n_estimators=16)
    history = [_ran(0, _config(space, "random_forest", n_estimators=100), 10.0), _ran(1, fast, 0.5)]
    design = [(slow, "warm start: portfolio 1"), (fast, "warm start: portfolio 2")]
    assert cheap_first(design, cost, None) == design
    assert cheap_first(design, CostModel(space.components, TableWork(4000, 10, 5)), 60.0) == design  # nothing known
    priced = CostModel(space.components, TableWork(4000, 10, 5), {"random_forest": 1e-4, "lightgbm": 1e-7 / 31})
    assert cheap_first(design, priced, 60.0) == [design[1], design[0]]  # 0.3 s against 1,000 s on the metabase's word

    class Timed:
        def __init__(self):
            self.submitted = []

        def submit(self, config, timeout_s, limit_s, fraction=1.0):
            self.submitted.append(config)

        def collect(self, should_stop):
            return TrialOutcome(0.5, 0.01, 0.0)

    from automl.search.loop import History

    trials = Timed()
    result = run_search(space, trials, SearchSettings(search, 0, 6, output_dir=tmp_path),
                        Budget(None, time.monotonic(), trial_time_limit=30.0), design=design, cost=cost,
                        history=History(history))
    skipped = [t for t in result.trials if t.status is TrialStatus.SKIPPED]
    assert skipped[0].config == slow and "predicted to take 50 s (by this run)" in skipped[0].error
    assert slow not in trials.submitted and result.skipped == len(skipped)
    # shrunk, not lost: 500 trees at 0.1 s each, cut to 0.7 of the 30 s limit (its family ran here), run next
    # with the origin's mark
    smaller = {**slow, "random_forest:n_estimators": 210}
    assert skipped[0].error.endswith("run again with n_estimators=210") and smaller in trials.submitted
    ran = next(t for t in result.trials if t.config == smaller)
    assert ran.trial_id == skipped[0].trial_id + 1 and ran.origin == "warm start: portfolio 1, shrunk"
    assert result.shrunk == 1


def test_a_configuration_is_shrunk_only_within_its_bounds_and_an_eighth_of_its_trees():
    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))
    forest = _config(space, "random_forest", n_estimators=100)
    history = [_ran(0, forest, 10.0)]  # 0.1 s a tree
    # its family ran here: cut to 0.7 of its limit (SHRINK_TO_MEASURED), 14 s; or to half of it when asked
    assert cost.shrink({**forest, "random_forest:n_estimators": 400}, 20.0, history)["random_forest:n_estimators"] == 140
    assert cost.shrink({**forest, "random_forest:n_estimators": 400}, 20.0, history, 0.5)["random_forest:n_estimators"] == 100
    assert cost.shrink({**forest, "random_forest:n_estimators": 400}, 4.0, history) is None  # 28 trees: under an eighth
    assert cost.shrink(_config(space, "logistic_regression"), 1.0, history) is None  # nothing to cut, no prediction
    assert cost.shrink({**forest, "random_forest:n_estimators": 20}, 0.5, history) is None  # below its bound of 16


def test_a_wide_table_s_configuration_is_shrunk_in_its_columns_first_then_its_trees():
    space = _space()
    wide = CostModel(space.components, TableWork(4000, 500, 5))
    boosted = _config(space, "lightgbm", n_estimators=100, colsample_bytree=1.0)
    history = [_ran(0, boosted, 40.0)]  # 40 s: 1 s a tree of each class at all 500 columns
    # 30 s limit: 0.7 of it is 21 s, 0.525 of the work: a tree's work is 0.1 + 0.9 x its share of the columns
    assert wide.shrink(boosted, 30.0, history)["lightgbm:colsample_bytree"] == pytest.approx((0.525 - 0.1) / 0.9)
    assert wide.shrink(boosted, 30.0, history, 0.5)["lightgbm:colsample_bytree"] == pytest.approx((0.375 - 0.1) / 0.9)
    # 10 s: 0.175 of the work; columns down to their floor of 100 a tree (0.2, 0.28 of the work), then 63 of the trees
    # ... and its learning rate raised by as much: 100 / 63 x 0.1
    assert wide.shrink(boosted, 10.0, history) == {**boosted, "lightgbm:colsample_bytree": 0.2,
                                                   "lightgbm:n_estimators": 63,
                                                   "lightgbm:learning_rate": pytest.approx(0.1 * 100 / 63)}
    smallest = wide.shrink(boosted, 4.0, history)  # 2.8 s: 0.07 / 0.28 of the trees; the rate 4x, capped at 0.2
    assert smallest["lightgbm:n_estimators"] == 25 and smallest["lightgbm:learning_rate"] == pytest.approx(0.2)
    fast = {**boosted, "lightgbm:learning_rate": 0.5}  # a rate above the cap is kept, never lowered
    assert wide.shrink(fast, 4.0, history)["lightgbm:learning_rate"] == pytest.approx(0.5)
    from automl.search.cost import factor_key
    assert factor_key(smallest, space.components) == factor_key(boosted, space.components)  # the same model, smaller
    assert wide.shrink(boosted, 0.4, history) is None  # 3 trees: under an eighth
    # a narrow table keeps its columns: only its trees are cut
    narrow = CostModel(space.components, TableWork(4000, 10, 5))
    assert narrow.shrink(boosted, 8.0, history) is None  # 14 trees: under its bound of 16
    assert narrow.shrink(boosted, 40.0, history) == {**boosted, "lightgbm:n_estimators": 70,
                                                     "lightgbm:learning_rate": pytest.approx(0.1 * 100 / 70)}
    assert wide.shrink(boosted, 100.0, history) is None  # already fits: nothing to cut
    # a forest's split work is nearly proportional to its columns: 0.04 + 0.96 x its share
    forest = _config(space, "random_forest", n_estimators=100, max_features=1.0)
    cut = wide.shrink(forest, 30.0, [_ran(1, forest, 40.0)])["random_forest:max_features"]
    assert cut == pytest.approx((0.525 - 0.04) / 0.96)
    # ... and it draws again at every split: its floor is 50 columns (0.1), not a boosted tree's 100
    assert wide.shrink(forest, 4.0, [_ran(1, forest, 40.0)])["random_forest:max_features"] == pytest.approx(0.1)


def test_a_typical_trial_s_seconds_pick_fewer_folds_for_a_slow_table(tmp_path):
    from automl.search.cost import typical_trial_seconds
    from automl.trials.resampling import choose_resampling

    space = _space("binary", 2)
    forest, logistic = _config(space, "random_forest"), _config(space, "logistic_regression")
    entry = DatasetEntry("earlier", "binary", "roc_auc", {"log_rows": 6.907755, "log_features": 2.302585},
                         [0.1, 0.2], seconds=[4.0, 1.0])
    Metabase(pools={"classification": [forest, logistic]}, pool_origins={"classification": ["default", "default"]},
             datasets=[entry]).save(tmp_path / "m.json.gz")
    seconds = typical_trial_seconds("binary", 10, 2, str(tmp_path / "m.json.gz"))
    assert seconds(4000) == pytest.approx(2.5)  # the earlier table's own size: the median of 4 s and 1 s
    assert seconds(40_000) == pytest.approx(25.0)
    small = choose_resampling(1000, 10, 600, trial_seconds=seconds)  # 3 x 5 folds: 7.5 s a trial, 58 in 450 s
    assert small.describe() == "5-fold cross-validation, repeated 3 times (a small table: about 58 trials still fit)"
    assert choose_resampling(1000, 10, 400, trial_seconds=seconds).repeats == 2  # 3 x would leave 38, 2 x 57
    assert choose_resampling(1000, 10, 200, trial_seconds=seconds).describe() == "5-fold cross-validation"
    assert choose_resampling(1000, 10, 600, "cv", trial_seconds=seconds).repeats == 1  # forced: one plan
    assert choose_resampling(5000, 10, 300, trial_seconds=seconds).describe() == "5-fold cross-validation"  # 18 trials
    slow = choose_resampling(5000, 10, 200, trial_seconds=seconds)  # 5 folds: 12.5 s a trial, 12 in 150 s
    assert slow.describe() == "3-fold cross-validation (5 folds would leave about 12 trials in the budget)"
    wide = choose_resampling(5000, 10, 100, trial_seconds=seconds)  # 5 folds: 6 trials; 3 folds: 11 (0.3 s a trial besides its fits)
    assert wide.describe() == "holdout (33% validation; 3 folds would leave about 11 trials in the budget)"
    assert choose_resampling(5000, 10, 100, "cv", trial_seconds=seconds).describe() == "5-fold cross-validation"
    # a holdout of fewer than 500 rows chooses by noise: a small table keeps 3 folds while they leave a few trials ...
    assert choose_resampling(1400, 10, 20, trial_seconds=seconds).describe() == (
        "3-fold cross-validation (5 folds would leave about 4 trials in the budget)")  # 3 folds: 7
    # ... but not fewer than FEW_TRIALS: then the search itself is the larger loss
    assert choose_resampling(1400, 10, 8, trial_seconds=seconds).describe() == (
        "holdout (33% validation; 3 folds would leave about 3 trials in the budget)")
    assert choose_resampling(1600, 10, 20, trial_seconds=seconds).kind == "holdout"
    assert typical_trial_seconds("regression", 10, 0, str(tmp_path / "m.json.gz"))(4000) is None


def test_a_trial_that_runs_out_of_time_runs_again_shrunk_before_the_next_configuration(tmp_path, monkeypatch):
    import automl.search.loop as loop

    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))
    big, fast = _config(space, "random_forest", n_estimators=400), _config(space, "lightgbm", n_estimators=16)
    clock = [1000.0]
    monkeypatch.setattr(loop.time, "monotonic", lambda: clock[0])

    class Clocked:  # 0.1 s per tree, on a fake clock: the big forest is stopped at its 30 s limit (0.075 s a tree
        # as far as the run can tell), so it runs again with the 200 trees that half of it holds
        def __init__(self):
            self.submitted = []

        def submit(self, config, timeout_s, limit_s, fraction=1.0):
            self.submitted.append(config)

        def collect(self, should_stop):
            trees = self.submitted[-1].get("random_forest:n_estimators", 0)
            clock[0] += min(trees * 0.1, 30.0) or 1.0
            if trees * 0.1 > 30.0:
                return TrialOutcome(None, 30.0, 0.0, error="TimeoutError", status=TrialStatus.TIMEOUT)
            return TrialOutcome(0.5, trees * 0.1, 0.0)

    trials = Clocked()
    design = [(big, "warm start: portfolio 1"), (fast, "warm start: portfolio 2")]
    result = run_search(space, trials, SearchSettings("random", 0, 3, output_dir=tmp_path),
                        Budget(None, time.monotonic(), trial_time_limit=30.0), design=design, cost=cost)
    assert [t.status for t in result.trials] == [TrialStatus.TIMEOUT, TrialStatus.OK, TrialStatus.OK]
    shrunk = result.trials[1]
    assert shrunk.config == {**big, "random_forest:n_estimators": 200} and shrunk.origin == "warm start: portfolio 1, shrunk"
    assert result.trials[2].config == fast and result.shrunk == 1  # the next configuration waited, and ran

    # once, not a chain: a shrunk configuration that runs out of time too is not cut again; and one given
    # in a list (the metabase build's replays) runs as given
    clock[0], trials.submitted = 1000.0, []
    huge = _config(space, "random_forest", n_estimators=2000)  # 200 s: shrunk to 30 s of the 0.015 s it shows
    result = run_search(space, trials, SearchSettings("random", 0, 3, output_dir=tmp_path / "chain"),
                        Budget(None, time.monotonic(), trial_time_limit=30.0), design=[(huge, "smac")], cost=cost)
    assert [t.status for t in result.trials][:2] == [TrialStatus.TIMEOUT, TrialStatus.TIMEOUT]
    assert result.trials[1].origin == "smac, shrunk" and not result.trials[2].origin.endswith("shrunk")
    clock[0], trials.submitted = 1000.0, []
    result = run_search(space, trials, SearchSettings("random", 0, 2, output_dir=tmp_path / "given"),
                        Budget(None, time.monotonic(), trial_time_limit=30.0), design=[(big, "warm start: given 0"),
                                                                                       (fast, "warm start: given 1")],
                        cost=cost)
    assert [t.config for t in result.trials] == [big, fast] and result.shrunk == 0


def test_a_configuration_nothing_predicts_is_cut_early_then_probed_at_an_eighth_of_its_trees(tmp_path, monkeypatch):
    import automl.search.loop as loop

    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))  # no metabase rates: nothing is predicted at first
    huge, fast = _config(space, "random_forest", n_estimators=2000), _config(space, "lightgbm", n_estimators=16)
    clock = [1000.0]
    monkeypatch.setattr(loop.time, "monotonic", lambda: clock[0])

    class Clocked:  # 0.1 s a tree on a fake clock, stopped at the limit each trial is given
        def __init__(self):
            self.submitted, self.limits = [], []

        def submit(self, config, timeout_s, limit_s, fraction=1.0):
            self.submitted.append(config)
            self.limits.append(limit_s)

        def collect(self, should_stop):
            seconds = self.submitted[-1].get("random_forest:n_estimators", 10) * 0.1
            clock[0] += min(seconds, self.limits[-1])
            if seconds > self.limits[-1]:
                return TrialOutcome(None, self.limits[-1], 0.0, error="TimeoutError", status=TrialStatus.TIMEOUT)
            return TrialOutcome(0.5, seconds, 0.0)

    trials = Clocked()
    result = run_search(space, trials, SearchSettings("random", 0, 3, output_dir=tmp_path),
                        Budget(600, time.monotonic()), design=[(huge, "warm start: portfolio 1"),
                                                               (fast, "warm start: portfolio 2")], cost=cost)
    # 200 s of trees: cut at 8 % of the 600 s budget (48 s, not the 150 s limit), where it ran 0.024 s a tree
    assert trials.limits[0] == 48.0 and result.trials[0].status is TrialStatus.TIMEOUT
    # then, since that says only "more than 48 s", run again at an eighth of its trees (a probe of its
    # rate), under the full limit now that a rate is known
    assert result.trials[1].config == {**huge, "random_forest:n_estimators": 250} and trials.limits[1] == 150.0
    assert result.trials[1].status is TrialStatus.OK and result.trials[2].config == fast


def test_the_warm_start_runs_by_expected_gain_per_second_when_it_cannot_all_run():
    space = _space()
    priced = CostModel(space.components, TableWork(4000, 10, 5), {"random_forest": 1e-5, "lightgbm": 1e-7 / 31})
    slow, fast = _config(space, "random_forest", n_estimators=500), _config(space, "lightgbm", n_estimators=100)
    design = [(slow, "warm start: portfolio 1"), (fast, "warm start: portfolio 2")]  # 1,000 s and 10 s predicted
    from automl.search.design import by_gain_per_second

    assert by_gain_per_second(design, priced, 60.0) == [design[1], design[0]]  # 1/2 per 10 s beats 1 per 1,000 s
    assert by_gain_per_second(design, priced, 10_000.0) == design  # all of it fits: the warm start's order
    assert by_gain_per_second(design, priced, None) == design


def test_the_warm_start_prices_a_configuration_as_the_loop_will_run_it():
    from automl.search.design import as_it_runs

    space = _space()
    priced = CostModel(space.components, TableWork(4000, 10, 5), {"random_forest": 1e-5})
    forest = _config(space, "random_forest", n_estimators=400)
    seconds = as_it_runs(forest, priced, None)
    assert 80.0 < seconds < 100.0
    # under a 100 s trial limit it runs whole, even where a shrink would aim at 30 s (a short budget)
    assert as_it_runs(forest, priced, 100.0, shrink_to_s=30.0) == seconds
    # past a 60 s limit it is shrunk, to about half of the 30 s it is shrunk to fit
    assert as_it_runs(forest, priced, 60.0, shrink_to_s=30.0) < 30.0 < as_it_runs(forest, priced, 60.0) < 60.0
    # a warm start given as a list runs as given: priced up to its limit, where it would be stopped
    assert as_it_runs(forest, priced, 60.0, shrink_to_s=30.0, origin="warm start: given 1") == 60.0


def test_a_trial_stopped_on_course_past_its_limit_is_priced_at_the_seconds_it_was_heading_for():
    from automl.records import TrialRecord, TrialResult, TrialSpec

    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))
    forest = _config(space, "random_forest", n_estimators=100)
    stopped = TrialRecord(0, TrialSpec(forest, "smac"), TrialResult(  # stopped after a fold at 6 s, heading for 30 s
        TrialStatus.TIMEOUT, None, 6.0, 0.0, {}, "TimeoutError", {}, 10.0, 16.0, projected_s=30.0))
    assert stopped.seconds == 30.0 and _ran(1, forest, 6.0).seconds == 6.0
    assert cost.predict(_config(space, "random_forest", n_estimators=200), 1.0, [stopped]) == (pytest.approx(60.0), "this run")


def test_a_configuration_that_would_outlast_the_search_is_passed_over_for_a_cheaper_one(tmp_path, monkeypatch):
    import automl.search.loop as loop

    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))
    clock = [1000.0]
    monkeypatch.setattr(loop.time, "monotonic", lambda: clock[0])

    class Clocked:  # 0.1 s a tree on a fake clock; anything else 1 s
        def __init__(self):
            self.submitted = []

        def submit(self, config, timeout_s, limit_s, fraction=1.0):
            self.submitted.append(config)

        def collect(self, should_stop):
            seconds = self.submitted[-1].get("random_forest:n_estimators", 10) * 0.1
            clock[0] += seconds
            return TrialOutcome(0.5, seconds, 0.0)

    def forest(trees):
        return _config(space, "random_forest", n_estimators=trees), "smac"

    def search(design, out):
        clock[0] = 1000.0
        trials = Clocked()
        result = run_search(space, trials, SearchSettings("random", 0, len(design), output_dir=tmp_path / out),
                            Budget(60.0, time.monotonic(), trial_time_limit=1000.0), design=design, cost=cost)
        return trials, result

    boosted = (_config(space, "lightgbm"), "smac")  # 10 trees a second: 600 trees, 60 s, cannot fit in what is left
    trials, result = search([forest(10), forest(600), boosted], "one")
    assert [t.status for t in result.trials] == [TrialStatus.OK, TrialStatus.SKIPPED, TrialStatus.OK]
    assert "predicted to take about 60 s" in result.trials[1].error and trials.submitted[-1] == boosted[0]
    trials, result = search([forest(10), forest(600), forest(700), forest(800), boosted], "three")  # three in a row: stop
    assert [t.status for t in result.trials] == [TrialStatus.OK] + [TrialStatus.SKIPPED] * 2  # the third not recorded
    assert result.stop_reason == "time budget reached" and boosted[0] not in trials.submitted
    given = [(forest(10)[0], "warm start: given 0"), (forest(600)[0], "warm start: given 1"), boosted]
    trials, result = search(given, "given")  # a list runs as given: one that would outlast the search stops it
    assert [t.status for t in result.trials] == [TrialStatus.OK] and len(trials.submitted) == 1

    from automl.search.loop import History  # resumed with more time, a configuration passed over may run

    _, first = search([forest(10), forest(600), boosted], "first")
    resumed = run_search(space, Clocked(), SearchSettings("random", 0, 4, output_dir=tmp_path / "resumed"),
                         Budget(600.0, time.monotonic(), trial_time_limit=1000.0),
                         design=[forest(10), forest(600), boosted], history=History(first.trials), cost=cost)
    assert resumed.trials[3].config == forest(600)[0] and resumed.trials[3].ok


class _ForestsOnCourse:
    """Trials of forests at ``seconds_a_tree(k)`` a tree for the k-th submitted (from 1), moving ``clock``; one
    past its limit stops on course after ``stopped_after(seconds, limit_s)``, heading for its seconds."""

    def __init__(self, clock, seconds_a_tree, stopped_after):
        self.clock, self.seconds_a_tree, self.stopped_after, self.submitted = clock, seconds_a_tree, stopped_after, []

    def submit(self, config, timeout_s, limit_s, fraction=1.0):
        self.submitted.append((config, limit_s))

    def collect(self, should_stop):
        config, limit_s = self.submitted[-1]
        seconds = config.get("random_forest:n_estimators", 10) * self.seconds_a_tree(len(self.submitted))
        if seconds > limit_s:
            ran = self.stopped_after(seconds, limit_s)
            self.clock[0] += ran
            return TrialOutcome(None, ran, 0.0, error="TimeoutError", status=TrialStatus.TIMEOUT, projected_s=seconds)
        self.clock[0] += seconds
        return TrialOutcome(0.5, seconds, 0.0)

def test_a_trial_stopped_on_course_past_its_limit_runs_again_shrunk_to_the_seconds_it_was_heading_for(tmp_path, monkeypatch):
    import automl.search.loop as loop

    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))  # nothing predicts the forest: a 4.8 s first limit
    clock = [1000.0]
    monkeypatch.setattr(loop.time, "monotonic", lambda: clock[0])

    # 0.025 s a tree; past its limit, a trial stops after its first fold, at a fifth of its time
    trials = _ForestsOnCourse(clock, lambda k: 0.025, lambda seconds, limit_s: seconds / 5)
    forest = _config(space, "random_forest", n_estimators=400)  # 10 s
    result = run_search(space, trials, SearchSettings("random", 0, 2, output_dir=tmp_path),
                        Budget(60.0, time.monotonic()), design=[(forest, "smac")], cost=cost)
    stopped, rerun = result.trials
    assert stopped.status is TrialStatus.TIMEOUT and stopped.seconds == 10.0
    assert rerun.ok and rerun.config["random_forest:n_estimators"] == 300  # half of the 15 s shrink limit: 7.5 s


def test_a_shrunk_configuration_stopped_on_course_runs_once_more_cut_by_its_own_rate(tmp_path, monkeypatch):
    import automl.search.loop as loop

    space = _space()
    cost = CostModel(space.components, TableWork(4000, 10, 5))
    clock = [1000.0]
    monkeypatch.setattr(loop.time, "monotonic", lambda: clock[0])

    # 0.025 s a tree at first, then 0.06 (the machine got busy); past its limit, a trial stops on course after a
    # fifth of it
    trials = _ForestsOnCourse(clock, lambda k: 0.025 if k == 1 else 0.06, lambda seconds, limit_s: limit_s / 5)
    forest = _config(space, "random_forest", n_estimators=400)  # 10 s, past the 4.8 s a forest nothing predicts gets
    result = run_search(space, trials, SearchSettings("random", 0, 4, output_dir=tmp_path),
                        Budget(60.0, time.monotonic()), design=[(forest, "smac")], cost=cost)
    first, shrunk, again = result.trials[:3]
    assert first.status is TrialStatus.TIMEOUT and shrunk.status is TrialStatus.TIMEOUT  # 300 trees: 18 s now
    assert shrunk.origin == "smac, shrunk" and again.origin == "smac, shrunk, shrunk"
    assert again.ok and again.config["random_forest:n_estimators"] == 125  # 7.5 s at the 0.06 s a tree it showed
    assert not any(t.origin.endswith("shrunk, shrunk, shrunk") for t in result.trials)
