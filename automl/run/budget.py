"""``Budget``: every deadline, reserve and slack of one fit, named once, on the monotonic clock.

The promise (README): ``fit`` returns within ``seconds`` x 1.05 + a few seconds. Inside it:

    started ─── search ──────────────── search_end ── refits, ensemble ── members_end ─ slack ─ final_end
                 each trial stops at its own           (the reserve the search    (the best's refit
                 limit, or when only the reserve       keeps back: the best's     and the unexpected)
                 for the final model is left            refit and a few members)

>>> budget = Budget(seconds=100.0, started=0.0)
>>> budget.search_end, budget.members_end, budget.final_end
(100.0, 100.0, 108.0)
>>> budget.trial_limit_s
25.0
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from automl.records import TrialRecord, ranked

SLACK = 0.05                  # fit returns within seconds * (1 + SLACK) + 5 s ...
REFIT_GRACE_S = 3.0           # ... of which the refit may use 3 (a fresh worker's start-up), the rest writes the model
REFIT_SAFETY = 1.5            # a refit on all rows is assumed to take this much longer than a fold
TRIAL_LIMIT_SHARE = 0.25      # default per-trial limit: this share of the budget ...
MIN_TRIAL_LIMIT_S = 10.0      # ... but at least this many seconds
NO_BUDGET_TRIAL_LIMIT_S = 600.0  # with a trial-count budget only, one trial may still not run forever
BEST_RESERVE_SHARE = 0.25     # the search keeps back at most this share of the budget for the best's refit
ENSEMBLE_RESERVE_TRIALS = 6   # the search leaves time to refit this many of the best trials ...
ENSEMBLE_RESERVE_SHARE = 0.15  # ... the ones after the best taking at most this share of the budget
ENSEMBLE_OVERHEAD_S = 4.0     # a worker restart after a cut trial (2-3 s) and Caruana selection (about 1.5 s)
CURVE_RESERVE_MAX_SHARE = 0.05  # the estimate's step to all rows takes at most this share of the budget
MIN_TRIAL_S = 0.5             # no trial starts with less time than this left
MODEL_SAVE_LIMIT_S = 30.0     # seconds a top-K trial's models may take to write


def full_fit_seconds(trial: TrialRecord) -> float:
    """The seconds a trial's folds would have taken on all their rows (a multi-fidelity trial saw a fraction)."""
    return trial.fit_seconds / trial.fraction


def refit_factor(n_rows: int, fit_rows: int) -> float:
    """A refit on all ``n_rows`` over a trial's total fit seconds (its folds fit ``fit_rows`` rows in all),
    with a safety margin: 1.5 / 4 for 5-fold CV, 2.25 for a holdout of a third."""
    return REFIT_SAFETY * n_rows / max(fit_rows, 1)


@dataclass(frozen=True)
class Budget:
    """The deadlines of one fit: ``seconds`` of wall time (None: a budget in trials only) counted from
    ``started`` (``time.monotonic()``), less what earlier sessions of a resumed run spent."""

    seconds: float | None
    started: float
    spent_before: float = 0.0
    trial_time_limit: float | None = None  # the user's per-trial limit, if given
    refit_factor: float = REFIT_SAFETY
    ensemble: bool = True                   # the search also keeps time to refit a few ensemble members
    curve_share: float = 0.0  # the estimate's step to all rows per second of a member's trial (automl.run.curve)

    @property
    def search_end(self) -> float | None:
        """When the search must have stopped, reserve included (what is left of the budget)."""
        return None if self.seconds is None else self.started + max(self.seconds - self.spent_before, 0.0)

    @property
    def members_end(self) -> float | None:
        """When optional work (ensemble members) must be done: the budget itself."""
        return None if self.seconds is None else self.started + self.seconds

    @property
    def final_end(self) -> float | None:
        """The last moment for the best's refit: the budget, its slack and a worker's start-up."""
        return None if self.seconds is None else self.started + self.seconds * (1 + SLACK) + REFIT_GRACE_S

    @property
    def trial_limit_s(self) -> float:
        """Seconds one trial may take: as set, else a share of the budget (at least MIN_TRIAL_LIMIT_S)."""
        if self.trial_time_limit is not None:
            return float(self.trial_time_limit)
        if self.seconds is None:
            return NO_BUDGET_TRIAL_LIMIT_S
        return max(MIN_TRIAL_LIMIT_S, self.seconds * TRIAL_LIMIT_SHARE)

    @property
    def shrink_limit_s(self) -> float:
        """Seconds a configuration predicted past its limit is shrunk to fit (``CostModel.shrink``): the
        trial's limit, or TRIAL_LIMIT_SHARE of a budget so short that MIN_TRIAL_LIMIT_S is more (a 20 s
        budget's 10 s trial and its refit would leave room for nothing else)."""
        if self.seconds is None or self.trial_time_limit is not None:  # the user's limit is the user's
            return self.trial_limit_s
        return min(self.trial_limit_s, self.seconds * TRIAL_LIMIT_SHARE)

    def reserve_s(self, trials: Iterable[TrialRecord], restart_s: float = 0.0) -> float:
        """Seconds the search leaves for the final model: the refit of the best trial and, for an
        ensemble, of the next best ones it will likely use, and the estimate's step to all rows (each
        part at most a share of the budget;
        a best whose refit would not fit in its share is passed over for the next best at the end),
        and a worker's restart (``restart_s``, as last measured) beyond the grace after the budget:
        a trial cut at the search's end kills its worker, and the refit must not race its start-up."""
        restart = max(restart_s - REFIT_GRACE_S, 0.0)
        best = ranked(trials)
        if not best:
            return 1.0 + restart
        refit = full_fit_seconds(best[0]) * self.refit_factor
        if self.seconds is None:
            return 1.0 + restart + refit
        refit = min(refit, BEST_RESERVE_SHARE * self.seconds)
        members = 0.0
        if self.ensemble:  # + a worker restart and the selection; a member never refit in its share is not counted
            share = ENSEMBLE_RESERVE_SHARE * self.seconds
            refits = [full_fit_seconds(t) * self.refit_factor for t in best[1:ENSEMBLE_RESERVE_TRIALS]]
            members = min(sum(r for r in refits if r <= share) + ENSEMBLE_OVERHEAD_S, share)
        likely = best[:ENSEMBLE_RESERVE_TRIALS if self.ensemble else 1]
        curve = min(self.curve_share * sum(t.fit_seconds + t.predict_seconds for t in likely),
                    CURVE_RESERVE_MAX_SHARE * self.seconds)
        return 1.0 + restart + refit + members + curve

    def search_left_s(self, trials: Iterable[TrialRecord], restart_s: float = 0.0) -> float | None:
        """Seconds the search may still use now, keeping the reserve; None without a time budget."""
        end = self.search_end
        return None if end is None else end - self.reserve_s(trials, restart_s) - time.monotonic()

    def model_save_limit_s(self, trials: list[TrialRecord], trial_id: int | None = None) -> float:
        """Seconds a trial's fold models may take to write now: never into the reserve, except for the best
        trial's (``trial_id`` ranked first), which may write until the budget's end: a best found at the end
        of the search has no time left for its refit, and its fold models are then the final model (on a
        2,000 x 500, 8-class table at 60 s, a LightGBM found last was lost, and a logistic regression refit)."""
        left = self.search_left_s(trials)
        best = ranked(trials)[:1]
        if left is not None and best and best[0].trial_id == trial_id:
            left = max(left, self.seconds_until(self.members_end) or 0.0)
        return MODEL_SAVE_LIMIT_S if left is None else min(MODEL_SAVE_LIMIT_S, left)

    @staticmethod
    def seconds_until(deadline: float | None) -> float | None:
        """Seconds from now to ``deadline`` (None: no deadline)."""
        return None if deadline is None else deadline - time.monotonic()
