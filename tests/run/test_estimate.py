"""The final model's estimate: the selection cross-validated, so that no row's prediction comes from a
choice that saw it."""

import numpy as np
import pytest

from automl.metrics import get_metric
from automl.records import FinalMember, FinalSummary, ScoreEstimate
from automl.run.estimate import choose_weights, estimate_selection, nested_predictions, row_groups

AUC = get_metric("roc_auc", "binary")


def _noise(n_candidates: int, n_rows: int, seed: int) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Candidates that know nothing: their best score on these rows is luck."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_rows)
    p = rng.uniform(size=(n_candidates, n_rows))
    return {i: np.column_stack([1 - p[i], p[i]]) for i in range(n_candidates)}, y


def test_each_rows_prediction_comes_from_a_choice_that_never_saw_it():
    stack = np.arange(2 * 23, dtype=float).reshape(2, 23)
    groups = row_groups(np.zeros(23), classes=False, seed=0)
    seen: list[np.ndarray] = []

    def choose(inner):
        seen.append(inner)
        return {len(seen) % 2: 1.0}

    nested = nested_predictions(stack, groups, choose)
    assert len(seen) == 5 and sorted(np.concatenate([np.setdiff1d(np.arange(23), s) for s in seen])) == list(range(23))
    for group, inner in enumerate(seen):
        held = np.flatnonzero(groups == group)
        assert not np.intersect1d(held, inner).size  # the choice for these rows saw none of them
        assert nested[held].tolist() == stack[(group + 1) % 2][held].tolist()


def test_the_estimate_removes_the_optimism_of_choosing_the_luckiest_candidate():
    predictions, y = _noise(40, 300, seed=1)
    in_sample = max(AUC.score(y, p) for p in predictions.values())
    for rounds in (0, 20):
        estimate = estimate_selection(list(predictions), predictions, y, AUC, rounds=rounds, seed=0)
        assert in_sample > 0.55 and abs(estimate.value - 0.5) < 0.08, (in_sample, estimate)  # chance, not luck
        assert estimate.method == "nested out-of-fold" and estimate.rows == 300


def test_a_real_signal_is_estimated_close_to_its_own_score():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.2, 400), 0, 1)
    predictions = {0: np.column_stack([1 - good, good]), **{i + 1: p for i, p in _noise(5, 400, 2)[0].items()}}
    estimate = estimate_selection([0, 1, 2, 3, 4, 5], predictions, y, AUC, rounds=10, seed=0)
    assert estimate.value == pytest.approx(AUC.score(y, predictions[0]), abs=0.02)


def test_only_rows_every_candidate_predicted_count_and_too_few_give_no_estimate():
    predictions, y = _noise(3, 60, seed=3)
    predictions[0][:30] = np.nan  # a holdout predicted only some rows
    assert estimate_selection([0, 1, 2], predictions, y, AUC, rounds=0, seed=0).rows == 30
    assert estimate_selection([0, 1], {0: predictions[0][30:39], 1: predictions[1][30:39]}, y[30:39], AUC,
                              rounds=0, seed=0) is None
    assert estimate_selection([0], predictions, y, AUC, rounds=0, seed=0, deadline=0.0) is None  # no time left


def test_groups_are_even_and_keep_the_class_mix():
    y = np.array([0] * 50 + [1] * 10)
    groups = row_groups(y, classes=True, seed=0)
    assert np.bincount(groups).tolist() == [12] * 5
    assert all((y[groups == g] == 1).sum() == 2 for g in range(5))
    assert row_groups(np.zeros(9), classes=False, seed=0) is None


def test_the_choice_is_the_best_alone_or_caruanas_weights():
    y = np.array([0, 1, 0, 1, 1, 0])
    stack = np.stack([np.eye(2)[1 - y] * 0.6 + 0.2, np.eye(2)[y] * 0.6 + 0.2])  # the second is right everywhere
    assert choose_weights(stack, y, AUC, rounds=0) == {1: 1.0}
    assert choose_weights(stack, y, AUC, rounds=5) == {1: 1.0}


def test_the_final_line_names_the_saved_model_and_its_estimate():
    estimate = ScoreEstimate("roc_auc", 0.84612, "nested out-of-fold", 100)
    members = tuple(FinalMember(i, f"m{i}", w) for i, w in enumerate([0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05]))
    assert FinalSummary(members, estimate).line() == ("Final model: ensemble of 7 (m0 0.30, m1 0.20, m2 0.20, m3 0.10, "
                                                      "m4 0.10 + 2 more); estimated roc_auc = 0.8461 (nested out-of-fold)")
    assert FinalSummary(members[:1], estimate, 0.4).line().startswith("Final model: m0 (trial 0, refit on 40% of the rows)")
    assert FinalSummary((), None).line().startswith("Final model: a constant predictor")


@pytest.mark.parametrize("ensemble_size", [0, 10])
def test_a_best_trial_that_cannot_be_refit_leaves_an_estimate_of_the_model_saved(tmp_path, ensemble_size):
    from automl import AutoClassifier

    (tmp_path / "space").mkdir()  # the best family fits a fold (160 rows) but fails on all 200 at the refit
    (tmp_path / "space" / "refit_fails.yaml").write_text(
        "name: refit_fails\nstep: model\nestimator: tests.helpers.RefitFailsClassifier\ntasks: [binary]\n"
        "initial_design: {rank: 0}\nfixed: {max_rows: 170}\n")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    y = (X @ rng.normal(size=8) + rng.normal(size=200) > 0).astype(int)  # linear: the logistic regression is best
    model = AutoClassifier(time_budget=None, max_trials=6, metric="log_loss", cv=5, warm_start="none", seed=0,
                           search_space_dir=str(tmp_path / "space"), include=("refit_fails", "k_nearest_neighbors"),
                           ensemble_size=ensemble_size, run_dir=str(tmp_path / "run")).fit(X, y)
    best, *_ = sorted(model.trials_, key=lambda t: t.loss)
    saved = min((t for t in model.trials_ if t.config["model"] == "k_nearest_neighbors"), key=lambda t: t.loss)
    assert best.config["model"] == "refit_fails"  # the selection's choice ...
    assert [m.trial_id for m in model.final_model_.members] == [saved.trial_id]  # ... is not what was saved
    # the estimate is the saved trial's own out-of-fold log loss (nothing was chosen among), not the best's,
    # then stepped along the learning curve to all rows
    estimate = model.estimated_score_
    assert estimate.value - estimate.step == pytest.approx(saved.loss, abs=1e-4) != pytest.approx(best.loss, abs=1e-4)
    assert estimate.step != 0 and estimate.method == "nested out-of-fold, stepped to all rows"
    assert f"{model.estimated_score_.value:.4f}" in model.final_model_.line()


def test_a_metric_of_the_rows_order_scores_each_group_by_its_own_choice():
    from automl.run.estimate import nested_score

    # two groups, each ranked perfectly by its own choice, on scales that do not meet: one model's 0.4
    # is another's 0.9; pooled, their rows interleave and the AUC drops below 1
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    p = np.array([0.1, 0.4, 0.2, 0.3, 0.6, 0.9, 0.7, 0.8])
    nested, groups = np.column_stack([1 - p, p]), np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert AUC.score(y, nested) < 0.8
    assert nested_score(AUC, y, nested, groups) == 1.0
    log_loss = get_metric("log_loss", "binary")  # a mean over rows: pooled as before
    assert nested_score(log_loss, y, nested, groups) == log_loss.score(y, nested)


def test_a_group_without_both_classes_is_left_out_of_the_per_group_auc():
    from automl.run.estimate import nested_score

    y = np.array([0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1])  # the third group holds no positive row
    p = np.array([0.1, 0.4, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.6, 0.9, 0.7, 0.8])
    nested, groups = np.column_stack([1 - p, p]), np.repeat([0, 1, 2], 4)
    assert nested_score(AUC, y, nested, groups) == 1.0  # the two groups that have an AUC
    only_one = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1])  # group 0 has no positive: one scored, so pooled
    assert nested_score(AUC, y, nested, only_one) == AUC.score(y, nested)
    # whole user groups with one label each, through the whole estimate: a number, never NaN
    predictions, labels = _noise(3, 60, seed=1)
    users = np.repeat(np.arange(6), 10)
    labels = (users % 2).astype(int)  # every user group holds one class
    estimate = estimate_selection([0, 1, 2], predictions, labels, AUC, rounds=5, seed=0, groups=users)
    assert estimate is None or np.isfinite(estimate.value)


def test_the_groups_are_the_trials_own_validation_folds_and_random_within_a_holdout():
    from automl.run.estimate import validation_fold

    # two folds whose models score on scales that do not meet: grouped by fold, each fold's AUC is 1;
    # random groups would mix the two folds' rows and score below 1
    y = np.tile([0, 1], 10)
    p = np.where(np.arange(20) < 10, 0.1, 0.6) + 0.3 * y * np.linspace(0.5, 1.0, 20)
    predictions = {0: np.column_stack([1 - p, p])}
    folds = [(np.arange(10, 20), np.arange(10)), (np.arange(10), np.arange(10, 20))]
    by_fold = estimate_selection([0], predictions, y, AUC, rounds=0, seed=0, folds=folds)
    assert by_fold.value == 1.0 and estimate_selection([0], predictions, y, AUC, rounds=0, seed=0).value < 1.0
    # repeated folds: the first repeat's; rows no fold validates: -1
    repeated = folds + [(np.arange(0, 20, 2), np.arange(1, 20, 2)), (np.arange(1, 20, 2), np.arange(0, 20, 2))]
    assert validation_fold(repeated, 20).tolist() == [0] * 10 + [1] * 10
    assert validation_fold([(np.arange(10), np.arange(10, 20))], 20).tolist() == [-1] * 10 + [0] * 10
    # a holdout validates some rows once: one fold, so random groups within it (an estimate, not None)
    holdout = {0: np.where(np.arange(20)[:, None] < 10, np.nan, predictions[0])}
    assert estimate_selection([0], holdout, y, AUC, rounds=0, seed=0, folds=folds[1:]) is not None
