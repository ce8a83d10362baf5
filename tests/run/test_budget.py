"""The Budget, without fitting a model: every deadline, reserve and slack of a fit."""

import time

import numpy as np
import pytest

from automl.run.budget import (
    BEST_RESERVE_SHARE,
    ENSEMBLE_OVERHEAD_S,
    ENSEMBLE_RESERVE_SHARE,
    MIN_TRIAL_LIMIT_S,
    NO_BUDGET_TRIAL_LIMIT_S,
    REFIT_GRACE_S,
    SLACK,
    Budget,
    refit_factor,
)
from tests.helpers import make_record


def _trial(trial_id, loss, fit_seconds, fraction=1.0):
    return make_record(trial_id, {"model": "m"}, "smac", loss, fit_seconds, fraction=fraction)


def test_the_deadlines_are_absolute_and_named_once():
    budget = Budget(seconds=200.0, started=1000.0, spent_before=50.0)
    assert budget.search_end == 1150.0  # a resumed run has what its earlier sessions left
    assert budget.members_end == 1200.0  # optional work ends with the budget itself
    assert budget.final_end == pytest.approx(1000.0 + 200.0 * (1 + SLACK) + REFIT_GRACE_S)  # the 5 % slack
    untimed = Budget(seconds=None, started=0.0)
    assert untimed.search_end is untimed.members_end is untimed.final_end is None


def test_the_per_trial_limit_is_a_quarter_of_the_budget_at_least_ten_seconds_or_as_given():
    assert Budget(200.0, 0.0).trial_limit_s == 50.0
    assert Budget(20.0, 0.0).trial_limit_s == MIN_TRIAL_LIMIT_S
    assert Budget(None, 0.0).trial_limit_s == NO_BUDGET_TRIAL_LIMIT_S
    assert Budget(200.0, 0.0, trial_time_limit=3).trial_limit_s == 3.0


def test_the_search_reserve_covers_the_best_refit_and_a_few_members_each_capped():
    budget = Budget(100.0, 0.0, refit_factor=1.0)
    assert budget.reserve_s([]) == 1.0
    trials = [_trial(0, 0.2, 4.0), _trial(1, 0.1, 2.0), _trial(2, 0.3, 1.0), _trial(3, None, 99.0)]
    # the best (trial 1) 2 s; the next ones 4 + 1 s, plus the overhead of a restart and the selection
    assert budget.reserve_s(trials) == pytest.approx(1.0 + 2.0 + 4.0 + 1.0 + ENSEMBLE_OVERHEAD_S)
    assert Budget(100.0, 0.0, refit_factor=1.0, ensemble=False).reserve_s(trials) == pytest.approx(3.0)
    slow = [_trial(0, 0.1, 1000.0), _trial(1, 0.2, 1000.0)]  # the best capped; a member never refit in its share left out
    assert budget.reserve_s(slow) == pytest.approx(1.0 + BEST_RESERVE_SHARE * 100 + ENSEMBLE_OVERHEAD_S)
    assert budget.reserve_s([_trial(0, 0.1, 1.0)] + [_trial(i, 0.2, 14.0) for i in range(1, 6)]) == pytest.approx(
        1.0 + 1.0 + ENSEMBLE_RESERVE_SHARE * 100)  # five members of 14 s: the share caps them
    ninth = [_trial(0, 0.1, 1.0, fraction=1 / 9)]  # a multi-fidelity trial's time scales to all rows
    assert Budget(None, 0.0, refit_factor=1.0).reserve_s(ninth) == pytest.approx(10.0)


def test_the_refit_factor_follows_the_resampling():
    assert refit_factor(100, 400) == pytest.approx(1.5 / 4)  # 5 folds of 100 rows fit 400 rows in all
    assert refit_factor(300, 200) == pytest.approx(2.25)  # a holdout of a third fits two thirds


def test_time_left_for_the_search_keeps_the_reserve_back():
    now = time.monotonic()
    budget = Budget(60.0, now, refit_factor=1.0, ensemble=False)
    left = budget.search_left_s([_trial(0, 0.1, 9.0)])
    assert 60.0 - 10.0 - 1.0 < left <= 60.0 - 10.0
    assert Budget(None, now).search_left_s([]) is None
    assert budget.model_save_limit_s([]) == 30.0


def test_only_the_best_trial_s_models_are_written_into_the_reserve():
    budget = Budget(60.0, time.monotonic() - 50.0, refit_factor=1.0, ensemble=False)  # 10 s left, a 9 s refit kept back
    trials = [_trial(0, 0.3, 1.0), _trial(1, 0.1, 9.0)]
    assert budget.model_save_limit_s(trials, 0) < 1.0  # the search's time is spent: no write for a runner-up ...
    assert 9.0 < budget.model_save_limit_s(trials, 1) <= 10.0  # ... but the best's may take until the budget's end


def test_a_worker_slower_to_start_than_the_grace_is_kept_back_for():
    budget = Budget(100.0, 0.0, refit_factor=1.0, ensemble=False)
    trials = [_trial(0, 0.1, 2.0)]
    assert budget.reserve_s(trials, restart_s=2.0) == budget.reserve_s(trials) == pytest.approx(3.0)  # inside the grace
    assert budget.reserve_s(trials, restart_s=8.0) == pytest.approx(3.0 + 8.0 - REFIT_GRACE_S)
    assert budget.reserve_s([], restart_s=8.0) == pytest.approx(1.0 + 8.0 - REFIT_GRACE_S)


def test_a_short_budget_shrinks_to_a_quarter_of_itself_but_a_user_s_trial_limit_stays():
    from automl.run.budget import Budget

    assert Budget(20.0, 0.0).trial_limit_s == 10.0 and Budget(20.0, 0.0).shrink_limit_s == 5.0  # the 10 s floor
    assert Budget(100.0, 0.0).shrink_limit_s == 25.0
    assert Budget(100.0, 0.0, trial_time_limit=60.0).shrink_limit_s == 60.0  # set by the user: kept
    assert Budget(None, 0.0, trial_time_limit=30.0).shrink_limit_s == 30.0


def test_the_search_keeps_back_the_estimate_s_step_to_all_rows_at_most_a_twentieth_of_the_budget():
    from automl.run.curve import curve_share

    folds = [(np.flatnonzero(np.arange(100) % 5 != k), np.flatnonzero(np.arange(100) % 5 == k)) for k in range(5)]
    share = curve_share(folds)  # half of two folds of five, with a margin of 1.5
    assert share == pytest.approx(1.5 * 2 / 5 * 0.5)
    trials = [_trial(0, 0.2, 4.0), _trial(1, 0.1, 2.0), _trial(2, 0.3, 1.0)]
    without = Budget(100.0, 0.0, refit_factor=1.0).reserve_s(trials)
    assert Budget(100.0, 0.0, refit_factor=1.0, curve_share=share).reserve_s(trials) == pytest.approx(
        without + share * (2.0 + 4.0 + 1.0))  # the trials the ensemble will likely use
    alone = Budget(100.0, 0.0, refit_factor=1.0, ensemble=False, curve_share=share)
    assert alone.reserve_s(trials) == pytest.approx(3.0 + share * 2.0)  # the best alone
    slow = [_trial(0, 0.1, 1000.0)]
    assert Budget(100.0, 0.0, refit_factor=1.0, ensemble=False, curve_share=share).reserve_s(slow) == pytest.approx(
        1.0 + BEST_RESERVE_SHARE * 100 + 0.05 * 100)
    in_time = [(np.arange(20 * k), np.arange(20 * k, 20 * (k + 1))) for k in (1, 2, 3, 4)]
    assert curve_share(in_time) == 0.0  # no step for folds in time order: nothing kept back
