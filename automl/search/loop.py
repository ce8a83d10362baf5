"""The CASH loop: SMAC's random-forest SMBO (or random search) driven through ask/tell.

We own the loop so that we own the budget: each trial gets at most the time that is left, the
search stops early enough to refit the incumbent (``Budget.reserve_s``), and the optimizer's own
ask+tell time is measured.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from automl.records import TrialRecord, TrialResult, TrialSpec, TrialStatus, config_key
from automl.run.budget import MIN_TRIAL_S, Budget
from automl.search.cost import SHRINK_TO, CostModel, may_shrink, promotion_too_slow, rerun_limit, unpredicted_limit
from automl.search.interrupt import StopOnCtrlC
from automl.search.protocols import TrialPool, Trials
from automl.search.result import SearchResult, keep_best_predictions
from automl.space.configspace import SearchSpace
from automl.trials.outcomes import TrialOutcome

logger = logging.getLogger(__name__)
logging.getLogger("smac").setLevel(logging.ERROR)  # SMAC's INFO and WARNING lines are about its internals

HALVING_ETA = 3  # successive halving keeps the best third at each data fraction (SMAC_SETTINGS["halving_eta"])
OnTrial = Callable[[TrialRecord, TrialOutcome, list[TrialRecord]], None]
Skip = Callable[[dict, float], "str | None"]
SHRUNK = ", shrunk"  # the end of a shrunk configuration's origin
OUTLASTING_IN_A_ROW = 3  # configurations in a row predicted to outlast the search stop it
MAX_SKIPPED_IN_A_ROW = 50  # configurations in a row skipped as too slow or too big stop the search (none would run)
SKIPPED_ALL = "every configuration asked for was skipped"
PASSED_OVER = "TimeLeft: "  # the reason of a configuration skipped as needing more than the search had left


@dataclass(frozen=True)
class SearchSettings:
    """How to search: the method, its seed, the trial budget, multi-fidelity and the failure yardstick.

    ``min_fraction`` (SMAC only) turns on multi-fidelity search: SMAC's successive halving first fits
    configurations on that share of each training fold, and only the best third of them on three
    times as much, up to all of it. A failed trial is told to the optimizer as worse than both
    ``failure_loss`` (a constant predictor's loss) and every loss seen so far.
    """

    method: str = "smac"
    seed: int = 0
    max_trials: int | None = None
    min_fraction: float | None = None
    failure_loss: float = 1.0
    output_dir: Path = Path("smac")  # SMAC's scratch folder


@dataclass(frozen=True)
class History:
    """What an earlier session of the same run finished (resume): told to the optimizer first, never re-run."""

    trials: Sequence[TrialRecord] = ()
    predictions: dict[int, np.ndarray] = field(default_factory=dict)
    elapsed_s: float = 0.0  # seconds of the budget those sessions spent


def run_search(space: SearchSpace, trials: Trials | TrialPool, settings: SearchSettings, budget: Budget, *,
               design: Sequence[tuple[dict, str]] = (), history: History = History(),
               on_trial: OnTrial = lambda *finished: None, skip: Skip = lambda config, fraction: None,
               cost: CostModel | None = None) -> SearchResult:
    """Evaluate configurations until the trial count or the budget's search end is reached.

    ``design`` (configuration, origin) pairs are evaluated first (a warm start, the user's). The
    next configuration is asked for while the current trial runs, so the optimizer's time overlaps
    the trials. ``max_trials`` counts the trials of ``history``. ``on_trial`` sees every new trial
    as soon as it is finished, with all trials so far (the run store writes it). A first Ctrl-C
    stops the search cleanly: the running trial is dropped, everything finished is kept.

    ``skip(config, fraction)`` gives a reason not to run a configuration (say, its predicted
    memory); it is then recorded as a SKIPPED trial with that reason, told to the optimizer as a
    failure, and counted in ``SearchResult.skipped``. So is a configuration promoted to a larger
    fraction whose time on the smaller one, scaled up, predicts that it cannot finish in time, and one
    the ``cost`` model predicts to run past its own time limit; that one (and one stopped at its
    limit) then runs next smaller (fewer columns a tree, fewer trees) where ``CostModel.shrink`` can
    cut it (counted in ``SearchResult.shrunk``). A configuration predicted to need more than the time the search has
    left is skipped too (``PASSED_OVER``: a resumed run may run it), unless it must run as given (a list, a data
    fraction); a few such in a row, or one such, stop the search, leaving that time to the final model.
    """
    start = time.monotonic()
    result = SearchResult(trials=list(history.trials), predictions=dict(history.predictions),
                          resumed_trials=len(history.trials))
    earlier = [t for t in history.trials if not (t.error or "").startswith(PASSED_OVER)]  # those may run now
    evaluated = {config_key(t.config) for t in earlier}
    initial = [c for c, _ in design if config_key(c) not in evaluated]
    proposer = _proposer(space, settings, initial)
    proposer.origins = {config_key(c): origin for c, origin in design}
    if budget.seconds is not None:  # a budget in trials alone stays reproducible: the wall clock never steers it
        from automl.search.smac_proposer import SMAC_SETTINGS

        share = SMAC_SETTINGS["optimizer_share"]
        proposer.over_share = lambda: result.optimizer_seconds > share * (time.monotonic() - start)
    with StopOnCtrlC() as ctrl_c:
        proposer.replay(earlier, settings.failure_loss)
        loop = _Loop(proposer, trials, result, ctrl_c, settings, budget, start, history.elapsed_s, on_trial, skip, cost)
        loop.run_parallel() if hasattr(trials, "collect_any") else loop.run()
    result.wall_seconds = time.monotonic() - start
    logger.info("search stopped (%s): %d trials, optimizer %.1f%% of %.1fs", result.stop_reason,
                len(result.trials), 100 * result.optimizer_share, result.wall_seconds)
    if result.skipped or result.shrunk:
        logger.info("%d configuration(s) were skipped before running: predicted to need more memory or time than a "
                    "trial may use or the search had left; %d ran smaller (fewer columns a tree, fewer trees) instead of one skipped or stopped at "
                    "its time limit.",
                    result.skipped, result.shrunk)
    return result


def _proposer(space: SearchSpace, settings: SearchSettings, initial: list[dict]):
    if settings.method == "smac":
        from automl.search.smac_proposer import SmacProposer

        return SmacProposer(space, settings.seed, settings.max_trials, initial, settings.output_dir,
                            settings.min_fraction)
    from automl.search.random_proposer import RandomProposer

    return RandomProposer(space, settings.seed, initial)


@dataclass
class _Loop:
    """One search's loop state: the proposer, where trials run, what finished, and the limits."""

    proposer: object
    trials: Trials | TrialPool
    result: SearchResult
    ctrl_c: StopOnCtrlC
    settings: SearchSettings
    budget: Budget
    start: float
    elapsed_before: float
    on_trial: OnTrial
    skip: Skip
    cost: CostModel | None = None
    shrunk: tuple[dict, str, float] | None = None  # what runs instead of the configuration just skipped
    deferred: list[tuple[dict, str, float]] = field(default_factory=list)  # asked for, waiting behind a shrunk one
    outlasting: int = 0  # configurations in a row passed over as needing more than the search has left

    def now_s(self) -> float:
        """Seconds into the run (earlier sessions included), as trials record their times."""
        return round(self.elapsed_before + time.monotonic() - self.start, 3)

    def time_left(self) -> float | None:
        return self.budget.search_left_s(self.result.trials, getattr(self.trials, "restart_s", 0.0))

    def own_limit(self, fraction: float, config: dict | None = None, origin: str = "") -> float:
        """A trial on a fraction of the rows gets that fraction of the time limit, but at least a third of
        it (one that needs more on a ninth of the rows could never finish on all of them); a configuration
        nothing predicts, less where it may be shrunk after (``unpredicted_limit``, ``may_shrink``)."""
        limit = self.budget.trial_limit_s * max(fraction, 1 / HALVING_ETA)
        return limit if config is None or self.cost is None or not may_shrink(origin, fraction) else \
            unpredicted_limit(self.cost, config, fraction, self.result.trials, limit, self.budget.seconds)

    def run(self) -> None:
        """One trial at a time; the next configuration is asked for while it runs."""
        max_trials, result = self.settings.max_trials, self.result
        upcoming = self.ask()
        while True:
            if self.ctrl_c.requested:
                return self.interrupted()
            if upcoming is None or self.all_skipped():
                result.stop_reason = "search space exhausted" if upcoming is None else SKIPPED_ALL
                return
            if max_trials is not None and len(result.trials) >= max_trials:
                result.stop_reason = "trial budget reached"
                return
            timeout = self.time_left()  # the budget's end; the trial's own limit is applied once its worker is ready
            if timeout is not None and timeout < MIN_TRIAL_S:
                result.stop_reason = "time budget reached"
                return
            config, origin, fraction = upcoming
            started = self.now_s()
            own_limit = self.own_limit(fraction, config, origin)
            if self.skipped(config, origin, fraction, _smaller(timeout, own_limit), started, own_limit):
                upcoming = self.take_shrunk() or self.ask()
                continue
            if self.outlasts(config, origin, fraction, timeout):
                if self.search_ends():
                    result.stop_reason = "time budget reached"
                    return
                upcoming = self.ask()
                continue
            self.trials.submit(config, timeout, own_limit, fraction)
            last = max_trials is not None and len(result.trials) + 1 >= max_trials
            ahead = self.proposer.ask_ahead and not last  # the last trial of the budget needs no successor
            if ahead:
                upcoming = self.ask()
            outcome = self.trials.collect(lambda: self.ctrl_c.requested)
            if self.ctrl_c.requested and outcome.loss is None:  # stopped by the user: not the configuration's fault
                return self.interrupted()
            if outcome.status is TrialStatus.BUDGET_END:  # unfinished, not failed: not recorded (a resume may run it)
                logger.info("a %s trial was cut by the end of the budget", config["model"])
                result.stop_reason = "time budget reached"
                return
            self.record(TrialSpec(config, origin, fraction), outcome, started, self.now_s())
            if not ahead and not last:
                upcoming = self.ask()
            upcoming = self.after_time_out(upcoming)

    def run_parallel(self) -> None:
        """Keep every slot of the pool busy; tell each trial as it finishes (in any order).

        The next configuration is always asked for before a slot frees. When the budget or the
        trial count says stop, no new trial starts and the running ones finish or are cut.
        """
        pool, result = self.trials, self.result
        running: dict[int, tuple[TrialSpec, float]] = {}  # ticket -> what it runs, its start (s into the run)
        upcoming = self.ask()

        def stop_reason() -> str:
            left = self.time_left()
            if self.ctrl_c.requested:
                return "interrupted"
            if upcoming is None or self.all_skipped():
                return "search space exhausted" if upcoming is None else SKIPPED_ALL
            if self.settings.max_trials is not None and len(result.trials) + len(running) >= self.settings.max_trials:
                return "trial budget reached"
            if left is not None and left < MIN_TRIAL_S:
                return "time budget reached"
            return ""

        while True:
            result.stop_reason = result.stop_reason or stop_reason()
            while not result.stop_reason and len(running) < pool.slots and pool.ready():
                config, origin, fraction = upcoming
                left, own_limit = self.time_left(), self.own_limit(fraction, config, origin)
                if self.skipped(config, origin, fraction, _smaller(left, own_limit), self.now_s(), own_limit):
                    upcoming = self.take_shrunk() or self.ask()
                    result.stop_reason = stop_reason()
                    continue
                if self.outlasts(config, origin, fraction, left):
                    upcoming = self.ask()
                    result.stop_reason = "time budget reached" if self.search_ends() else stop_reason()
                    continue
                ticket = pool.submit(config, left, own_limit, fraction)
                running[ticket] = (TrialSpec(config, origin, fraction), self.now_s())
                upcoming = self.ask()
                result.stop_reason = stop_reason()
            if not running:
                if result.stop_reason:
                    break
                time.sleep(0.05)  # every worker is restarting
                continue
            collected = pool.collect_any(lambda: self.ctrl_c.requested,
                                         lambda: len(running) < pool.slots and not stop_reason() and pool.ready())
            if collected is None:  # a worker came back from a restart: start a trial on it
                continue
            ticket, outcome = collected
            spec, started = running.pop(ticket)
            if self.ctrl_c.requested and outcome.loss is None:  # stopped by the user: drop every running trial
                pool.cancel_all()
                return self.interrupted()
            if outcome.status is TrialStatus.BUDGET_END:
                logger.info("a %s trial was cut by the end of the budget", spec.config["model"])
                result.stop_reason = result.stop_reason or "time budget reached"
                continue
            self.record(spec, outcome, started, self.now_s())
            upcoming = self.after_time_out(upcoming)

    def interrupted(self) -> None:
        self.result.stop_reason = "interrupted"
        logger.warning("Interrupted: the search stopped (press Ctrl-C again to abort at once).")

    def ask(self) -> tuple[dict, str, float] | None:
        """The proposer's next (configuration, origin, fraction), timed; None when it has no more."""
        from smac.main.exceptions import ConfigurationSpaceExhaustedException

        if self.deferred:
            return self.deferred.pop(0)
        tick = time.perf_counter()
        try:
            return self.proposer.ask()
        except (ConfigurationSpaceExhaustedException, StopIteration):
            return None
        finally:
            self.result.optimizer_seconds += time.perf_counter() - tick

    def record(self, spec: TrialSpec, outcome: TrialOutcome, started_s: float, finished_s: float) -> None:
        """A finished trial: kept in the result, shown to ``on_trial`` (which persists it), told to the optimizer."""
        from automl.search.smac_proposer import failure_cost

        result = self.result
        trial_id = max((t.trial_id for t in result.trials), default=-1) + 1
        record = TrialRecord(trial_id, spec, TrialResult(
            outcome.status, outcome.loss, outcome.fit_seconds, outcome.predict_seconds, outcome.warnings,
            outcome.error, outcome.scores, started_s, finished_s, outcome.projected_s))
        result.trials.append(record)
        result.shrunk += spec.origin.endswith(SHRUNK) and record.status is not TrialStatus.SKIPPED
        if record.ok and outcome.predictions is not None:
            result.predictions[record.trial_id] = outcome.predictions
            keep_best_predictions(result)
        self.on_trial(record, outcome, result.trials)
        tick = time.perf_counter()
        self.proposer.tell(record, failure_cost(result.trials, self.settings.failure_loss))
        result.optimizer_seconds += time.perf_counter() - tick
        logger.info("trial %d %s%s loss=%s (%.2fs)%s", record.trial_id, spec.config["model"],
                    f" on {spec.fraction:.0%} of the rows" if spec.fraction < 1 else "",
                    f"{record.loss:.5f}" if record.ok else record.status.value, outcome.fit_seconds,
                    f" {record.error}" if record.error else "")

    def skipped(self, config: dict, origin: str, fraction: float, limit_s: float | None, at_s: float,
                own_limit: float | None = None) -> bool:
        """Record a configuration that is not to run as a SKIPPED trial: ``skip`` gave a reason, it ran
        on a smaller fraction before and, scaled up, would not finish within ``limit_s``, or the cost
        model predicts it to run past its ``own_limit``."""
        reason = self.skip(config, fraction) or promotion_too_slow(self.result.trials, config, fraction, limit_s)
        if reason is None and self.cost is not None:
            reason = self.cost.too_slow(config, fraction, own_limit, self.result.trials)
            over = reason or self.cost.too_slow(config, fraction, own_limit, self.result.trials, prior_margin=1.0)
            smaller = None if over is None or not may_shrink(origin, fraction) else \
                self.cost.shrink(config, self.budget.shrink_limit_s, self.result.trials)  # as soon as it is over
            if smaller is not None and not self.skip(smaller, fraction) and self.proposer.adopt(smaller, fraction):
                changed = ", ".join(f"{k.split(':')[-1]}={round(smaller[k], 3)}" for k in smaller if smaller[k] != config[k])
                reason = f"{over}; run again with {changed}"
                self.shrunk = (smaller, origin + SHRUNK, fraction)
        return reason is not None and self.record_skipped(TrialSpec(config, origin, fraction), reason, at_s)

    def record_skipped(self, spec: TrialSpec, reason: str, at_s: float) -> bool:
        """Record a configuration that does not run, for ``reason``; told to the optimizer as a failure."""
        self.result.skipped += 1
        self.record(spec, TrialOutcome(None, 0.0, 0.0, {}, reason, status=TrialStatus.SKIPPED), at_s, at_s)
        return True

    def after_time_out(self, upcoming: tuple[dict, str, float] | None) -> tuple[dict, str, float] | None:
        """What runs next: after a trial stopped at its time limit, the same configuration shrunk to fit half
        of it (its rate is now known), ahead of the ``upcoming`` one, which waits; else ``upcoming``. Once, not
        a chain; twice where a shrunk one was stopped on course, early, as its own rate then says how far to cut
        (under load, a LightGBM shrunk by its family's cheaper trial was on course for 25 s of a 22.5 s limit,
        and the 8-class table lost its best model)."""
        last = self.result.trials[-1] if self.result.trials else None
        if self.cost is None or last is None or last.status is not TrialStatus.TIMEOUT \
                or not may_shrink(last.origin, last.fraction) \
                or last.origin.count(SHRUNK) >= (2 if last.result.projected_s else 1):
            return upcoming
        limit = self.budget.shrink_limit_s if last.result.projected_s else rerun_limit(last.seconds, self.budget.shrink_limit_s)
        smaller = self.cost.shrink(last.config, limit, [last], SHRINK_TO)  # at the rate it ran (at least)
        if smaller is None or self.skip(smaller, 1.0) or not self.proposer.adopt(smaller, 1.0):
            return upcoming
        logger.info("trial %d ran out of time; its configuration runs again smaller", last.trial_id)
        self.shrunk = (smaller, last.origin + SHRUNK, 1.0)
        if upcoming is not None:
            self.deferred.append(upcoming)
        return self.take_shrunk()

    def take_shrunk(self) -> tuple[dict, str, float] | None:
        """The smaller configuration that replaces the one just skipped as too slow (the proposer adopted
        it, to be told its result), or None."""
        shrunk, self.shrunk = self.shrunk, None
        return shrunk

    def outlasts(self, config: dict, origin: str, fraction: float, left_s: float | None) -> bool:
        """Whether the cost model predicts (from this run's own trials) that the configuration needs more
        than the ``left_s`` seconds the search has: started, it would be cut by the budget's end. It is
        passed over (recorded as skipped) for the next, which may be cheaper (a stop here once ended a
        search at 27 of its 36 s, the warm start's last CatBoost too slow); OUTLASTING_IN_A_ROW such in a
        row stop the search, as one that must run as given does (``may_shrink``), leaving its time to the
        final model."""
        predicted = None if self.cost is None or left_s is None else self.cost.predict(config, fraction,
                                                                                       self.result.trials)
        if predicted is None or predicted[1] != "this run" or predicted[0] <= left_s:
            self.outlasting = 0
            return False
        self.outlasting = self.outlasting + 1 if may_shrink(origin, fraction) else OUTLASTING_IN_A_ROW
        return self.outlasting >= OUTLASTING_IN_A_ROW or self.record_skipped(
            TrialSpec(config, origin, fraction), f"{PASSED_OVER}skipped, predicted to take about {predicted[0]:.0f} s, "
                                                 f"{left_s:.0f} s of the search are left", self.now_s())

    def all_skipped(self) -> bool:
        """Whether the last MAX_SKIPPED_IN_A_ROW configurations were all skipped (a user's 2 s limit under which
        every configuration was priced too slow once spun through 673 of them in 30 s)."""
        tail = self.result.trials[-MAX_SKIPPED_IN_A_ROW:]
        return len(tail) == MAX_SKIPPED_IN_A_ROW and all(t.status is TrialStatus.SKIPPED for t in tail)

    def search_ends(self) -> bool:
        """Whether the configurations passed over in a row (``outlasts``) end the search."""
        if self.outlasting < OUTLASTING_IN_A_ROW:
            return False
        logger.info("search stops: the next configuration would outlast it, %d in a row", self.outlasting)
        return True


def _smaller(*limits: float | None) -> float | None:
    given = [t for t in limits if t is not None]
    return min(given) if given else None
