"""The CASH loop: SMAC's random-forest SMBO (or random search) driven through ask/tell.

We own the loop so that we own the budget: each trial gets at most the time that is left,
the search stops early enough to refit the incumbent, and the optimizer's own ask+tell time
is measured. Every SMAC default that would shape a run is set here explicitly.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
from ConfigSpace import Configuration
from smac import HyperparameterOptimizationFacade as HPO
from smac import Scenario
from smac.acquisition.maximizer import LocalAndSortedRandomSearch
from smac.intensifier import SuccessiveHalving
from smac.main.config_selector import ConfigSelector
from smac.main.exceptions import ConfigurationSpaceExhaustedException
from smac.model.random_forest import RandomForest
from smac.runhistory import StatusType, TrialInfo, TrialValue

from automl.evaluation import BUDGET_END, TrialOutcome
from automl.space import SearchSpace, plain

logger = logging.getLogger(__name__)
logging.getLogger("smac").setLevel(logging.ERROR)  # SMAC's INFO and WARNING lines are about its internals

SEARCH_METHODS = ("smac", "random")
SMAC_SETTINGS = {  # every SMAC default that would silently shape a CASH run, chosen on purpose
    "sobol_configs": 0,          # the initial design is our defaults; SMAC's own random design explores
    "random_probability": 0.2,   # share of interleaved random configurations
    "challengers": 1000,         # random candidates sorted by EI (SMAC's 10,000 cost seconds per ask)
    "local_search_iterations": 2,  # local searches from the best candidates (SMAC: 10), each at most
    "plateau_steps": 3,            # 20 steps with 3 plateau steps: ConfigSpace's neighbourhoods of a
    "local_search_steps": 20,      # conditional space dominated the ask time with SMAC's settings
    "retrain_after": 4,          # refit the surrogate and maximise EI every 4 trials
    "optimizer_share": 0.03,     # above this share of the search's wall time, SMAC's next ask is replaced by a
                                 # random configuration (told to SMAC all the same): fast trials, fewer refits.
                                 # Only under a time budget: a budget in trials alone must stay reproducible
    "n_trees": 10,               # surrogate forest as in the facade, but single-threaded: joblib's
    "surrogate_jobs": 1,         # thread pool spent most of each ask sleeping on 10 tiny trees, and
                                 # max_leaf_nodes=2**20 made scikit-learn's best-first builder take 0.1 s a tree
    "halving_eta": 3,            # successive halving keeps the best third at each data fraction. Without
                                 # multi-fidelity it is SMAC's intensifier too, with one stage (all rows): one
                                 # evaluation per configuration, as deterministic trials need, and none of the
                                 # default Intensifier's scans of every rejected configuration at each ask
}
MIN_TRIAL_SECONDS = 0.5
KEEP_PREDICTIONS = 50        # out-of-fold predictions held for the ensemble: of the 50 best trials ...
KEEP_PREDICTIONS_MB = 100    # ... or as many as fit in this many MB (a million binary rows: 13 trials) ...
MIN_KEEP_PREDICTIONS = 5     # ... but never fewer than 5


@dataclass(frozen=True)
class TrialRecord:
    """One trial: what was asked (configuration, origin) beside what came back."""

    trial_id: int
    config: dict[str, Any]
    origin: str
    loss: float | None
    fit_seconds: float
    predict_seconds: float
    warnings: dict[str, int]  # warning category -> times raised inside the trial
    error: str | None
    started_s: float   # seconds into the run (earlier sessions of a resumed run included)
    finished_s: float
    scores: dict[str, float] = field(default_factory=dict)  # the run's metrics, each in its usual direction
    fraction: float = 1.0  # the share of each training fold it was fit on (below 1 in a multi-fidelity search)

    @property
    def ok(self) -> bool:
        return self.loss is not None

    @property
    def n_warnings(self) -> int:
        return sum(self.warnings.values())


@dataclass
class SearchResult:
    trials: list[TrialRecord] = field(default_factory=list)
    predictions: dict[int, np.ndarray] = field(default_factory=dict)  # out-of-fold, best trials only
    optimizer_seconds: float = 0.0
    wall_seconds: float = 0.0
    stop_reason: str = ""
    resumed_trials: int = 0  # finished in an earlier session and read back, not re-run
    skipped: int = 0  # configurations not run: predicted to exceed their memory limit or their time

    @property
    def interrupted(self) -> bool:
        return self.stop_reason == "interrupted"

    @property
    def best(self) -> TrialRecord | None:
        done = [t for t in self.trials if t.ok]
        return min(done, key=lambda t: (t.loss, t.trial_id)) if done else None

    @property
    def optimizer_share(self) -> float:
        return self.optimizer_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


class Trials(Protocol):
    """Where configurations are evaluated: submit one, do other work, collect its outcome."""

    def submit(self, config: dict, timeout_s: float | None, limit_s: float | None, fraction: float = 1.0) -> None:
        """Start evaluating on ``fraction`` of each training fold: stop it ``timeout_s`` from now (the
        budget) or after its own ``limit_s``."""

    def collect(self, should_stop: Callable[[], bool]) -> TrialOutcome: ...


class TrialPool(Protocol):
    """Where configurations are evaluated several at once (dask): ``slots`` trials may run together."""

    slots: int

    def submit(self, config: dict, timeout_s: float | None, limit_s: float | None, fraction: float = 1.0) -> int:
        """Start a trial and return its ticket."""

    def collect_any(self, should_stop: Callable[[], bool],
                    can_start: Callable[[], bool]) -> tuple[int, TrialOutcome] | None:
        """The next finished trial, or None when ``can_start()`` turns true first."""

    def ready(self) -> bool:
        """Whether a trial can start now."""

    def cancel_all(self) -> None: ...


class _CtrlC:
    """While active, the first Ctrl-C (SIGINT) asks the search to stop; a second one interrupts as usual."""

    def __init__(self):
        self.requested = False
        self._installed = False
        self._previous = None

    def __enter__(self) -> "_CtrlC":
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signum, frame) -> None:  # sets a flag only: the loop logs and stops at a safe point
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)


def run_search(space: SearchSpace, trials: Trials, *, method: str, seed: int, end_time: float | None,
               max_trials: int | None, trial_time_limit: float | None, initial_configs: list[dict],
               output_dir: Path, reserve_s: Callable[[list[TrialRecord]], float] = lambda trials: 0.0,
               failure_loss: float = 1.0, history: list[TrialRecord] = (), elapsed_before: float = 0.0,
               on_trial: Callable[[TrialRecord, TrialOutcome, list[TrialRecord]], None] = lambda *finished: None,
               predictions: dict[int, np.ndarray] | None = None, origins: dict[tuple, str] | None = None,
               min_fraction: float | None = None,
               skip: Callable[[dict, float], str | None] = lambda config, fraction: None) -> SearchResult:
    """Evaluate configurations until the trial count or the (monotonic) end time is reached.

    The next configuration is asked for while the current trial runs, so the optimizer's time
    overlaps the trials instead of adding to them. ``reserve_s(trials)`` is the time to keep back
    after the search (the refit of the incumbent). A failed trial is told to SMAC as worse than
    both ``failure_loss`` (a constant predictor's loss) and every loss seen so far.

    ``history`` holds trials finished by an earlier session of the same run (resume): they are
    told to the optimizer first and never re-run; ``max_trials`` counts them. ``on_trial`` sees
    every new trial as soon as it is finished, with all trials so far (the run store writes it). A first Ctrl-C stops
    the search cleanly: the running trial is dropped, everything finished is kept. ``origins``
    (keyed by ``config_key``) names where an initial configuration came from (a warm start).

    ``min_fraction`` (SMAC only) turns on multi-fidelity search: SMAC's successive halving first
    fits configurations on that share of each training fold, and only the best third of them
    on three times as much, up to all of it.

    ``skip(config, fraction)`` gives a reason not to run a configuration (say, its predicted
    memory); it is then recorded as a failed trial with that reason, told to the optimizer as a
    failure, and counted in ``SearchResult.skipped``. So is a configuration promoted to a larger
    fraction whose time on the smaller one, scaled up, predicts that it cannot finish in time.
    """
    start = time.monotonic()
    result = SearchResult(trials=list(history), predictions=dict(predictions or {}), resumed_trials=len(history))
    evaluated = {_key(t.config) for t in history}
    initial = [c for c in initial_configs if _key(c) not in evaluated]
    proposer = _SmacProposer(space, seed, max_trials, initial, output_dir, min_fraction) if method == "smac" \
        else _RandomProposer(space, seed, initial)
    proposer.origins = dict(origins or {})
    if end_time is not None:  # a budget in trials alone stays reproducible: the wall clock never steers it
        share = SMAC_SETTINGS["optimizer_share"]
        proposer.over_share = lambda: result.optimizer_seconds > share * (time.monotonic() - start)
    loop = _parallel_loop if hasattr(trials, "collect_any") else _loop
    with _CtrlC() as ctrl_c:
        proposer.replay(history, failure_loss)
        loop(proposer, trials, result, ctrl_c, start=start, end_time=end_time, max_trials=max_trials,
             trial_time_limit=trial_time_limit, reserve_s=reserve_s, failure_loss=failure_loss,
             elapsed_before=elapsed_before, on_trial=on_trial, skip=skip)
    result.wall_seconds = time.monotonic() - start
    logger.info("search stopped (%s): %d trials, optimizer %.1f%% of %.1fs", result.stop_reason,
                len(result.trials), 100 * result.optimizer_share, result.wall_seconds)
    if result.skipped:
        logger.warning("%d configuration(s) were skipped before running: predicted to need more memory or "
                       "time than a trial may use.", result.skipped)
    return result


def _loop(proposer, trials: Trials, result: SearchResult, ctrl_c: _CtrlC, *, start: float, end_time: float | None,
          max_trials: int | None, trial_time_limit: float | None, reserve_s, failure_loss: float,
          elapsed_before: float, on_trial, skip) -> None:
    upcoming = _timed_ask(proposer, result)
    while True:
        if ctrl_c.requested:
            result.stop_reason = "interrupted"
            logger.warning("Interrupted: the search stopped (press Ctrl-C again to abort at once).")
            break
        if upcoming is None:
            result.stop_reason = "search space exhausted"
            break
        if max_trials is not None and len(result.trials) >= max_trials:
            result.stop_reason = "trial budget reached"
            break
        timeout = None  # the budget's end; the trial's own limit is applied by the worker once it is ready
        if end_time is not None:
            timeout = end_time - reserve_s(result.trials) - time.monotonic()
            if timeout < MIN_TRIAL_SECONDS:
                result.stop_reason = "time budget reached"
                break
        config, origin, fraction = upcoming
        started = elapsed_before + time.monotonic() - start
        own_limit = _fraction_limit(trial_time_limit, fraction)
        limit = min(t for t in (timeout, own_limit) if t is not None) if timeout or own_limit else None
        if _skipped(proposer, result, config, origin, fraction, skip, limit, round(started, 3), failure_loss, on_trial):
            upcoming = _timed_ask(proposer, result)
            continue
        trials.submit(config, timeout, own_limit, fraction)
        last = max_trials is not None and len(result.trials) + 1 >= max_trials
        ahead = proposer.ask_ahead and not last  # the last trial of the budget needs no successor
        if ahead:
            upcoming = _timed_ask(proposer, result)
        outcome = trials.collect(lambda: ctrl_c.requested)
        if ctrl_c.requested and outcome.loss is None:  # stopped by the user: not the configuration's fault
            result.stop_reason = "interrupted"
            logger.warning("Interrupted: the search stopped (press Ctrl-C again to abort at once).")
            break
        if _cut_by_budget(outcome):  # unfinished, not failed: not recorded, and
            logger.info("a %s trial was cut by the end of the budget", config["model"])  # a resume may run it
            result.stop_reason = "time budget reached"
            break
        _record(proposer, result, config, origin, fraction, outcome, round(started, 3),
                round(elapsed_before + time.monotonic() - start, 3), failure_loss, on_trial)
        if not ahead and not last:
            upcoming = _timed_ask(proposer, result)


def _parallel_loop(proposer, pool: "TrialPool", result: SearchResult, ctrl_c: _CtrlC, *, start: float,
                   end_time: float | None, max_trials: int | None, trial_time_limit: float | None, reserve_s,
                   failure_loss: float, elapsed_before: float, on_trial, skip) -> None:
    """Keep every slot of the pool busy; tell each trial as it finishes (in any order).

    The next configuration is always asked for before a slot frees. When the budget or the
    trial count says stop, no new trial starts and the running ones finish or are cut.
    """
    running: dict[int, tuple[dict, str, float, float]] = {}  # ticket -> configuration, origin, fraction, start (s)
    upcoming = _timed_ask(proposer, result)

    def time_left() -> float | None:
        return None if end_time is None else end_time - reserve_s(result.trials) - time.monotonic()

    def stop_reason() -> str:
        left = time_left()
        if ctrl_c.requested:
            return "interrupted"
        if upcoming is None:
            return "search space exhausted"
        if max_trials is not None and len(result.trials) + len(running) >= max_trials:
            return "trial budget reached"
        if left is not None and left < MIN_TRIAL_SECONDS:
            return "time budget reached"
        return ""

    while True:
        result.stop_reason = result.stop_reason or stop_reason()
        while not result.stop_reason and len(running) < pool.slots and pool.ready():
            config, origin, fraction = upcoming
            left, own_limit = time_left(), _fraction_limit(trial_time_limit, fraction)
            limit = min(t for t in (left, own_limit) if t is not None) if left or own_limit else None
            if _skipped(proposer, result, config, origin, fraction, skip, limit,
                        round(elapsed_before + time.monotonic() - start, 3), failure_loss, on_trial):
                upcoming = _timed_ask(proposer, result)
                result.stop_reason = stop_reason()
                continue
            ticket = pool.submit(config, time_left(), own_limit, fraction)
            running[ticket] = (config, origin, fraction, elapsed_before + time.monotonic() - start)
            upcoming = _timed_ask(proposer, result)
            result.stop_reason = stop_reason()
        if not running:
            if result.stop_reason:
                break
            time.sleep(0.05)  # every worker is restarting
            continue
        collected = pool.collect_any(lambda: ctrl_c.requested,
                                     lambda: len(running) < pool.slots and not stop_reason() and pool.ready())
        if collected is None:  # a worker came back from a restart: start a trial on it
            continue
        ticket, outcome = collected
        config, origin, fraction, started = running.pop(ticket)
        if ctrl_c.requested and outcome.loss is None:  # stopped by the user: drop it and every other running trial
            result.stop_reason = "interrupted"
            logger.warning("Interrupted: the search stopped (press Ctrl-C again to abort at once).")
            pool.cancel_all()
            break
        if _cut_by_budget(outcome):
            logger.info("a %s trial was cut by the end of the budget", config["model"])
            result.stop_reason = result.stop_reason or "time budget reached"
            continue
        _record(proposer, result, config, origin, fraction, outcome, round(started, 3),
                round(elapsed_before + time.monotonic() - start, 3), failure_loss, on_trial)


def _record(proposer, result: SearchResult, config: dict, origin: str, fraction: float, outcome: TrialOutcome,
            started_s: float,
            finished_s: float, failure_loss: float, on_trial) -> None:
    """A finished trial: logged in the result, shown to ``on_trial`` (which persists it), told to the optimizer."""
    trial_id = max((t.trial_id for t in result.trials), default=-1) + 1
    record = TrialRecord(trial_id, config, origin, outcome.loss, outcome.fit_seconds, outcome.predict_seconds,
                         outcome.warnings, outcome.error, started_s, finished_s, outcome.scores, fraction)
    result.trials.append(record)
    _keep_predictions(result, record, outcome)
    on_trial(record, outcome, result.trials)
    tick = time.perf_counter()
    proposer.tell(record, _failure_cost(result, failure_loss))
    result.optimizer_seconds += time.perf_counter() - tick
    logger.info("trial %d %s%s loss=%s (%.2fs)%s", record.trial_id, config["model"],
                f" on {fraction:.0%} of the rows" if fraction < 1 else "",
                f"{record.loss:.5f}" if record.ok else "failed", outcome.fit_seconds,
                f" {record.error}" if record.error else "")


def _skipped(proposer, result: SearchResult, config: dict, origin: str, fraction: float, skip,
             limit_s: float | None, at_s: float, failure_loss: float, on_trial) -> bool:
    """Record a configuration that is not to run as a failed trial: ``skip`` gave a reason, or it
    ran on a smaller fraction before and, scaled up, would not finish within ``limit_s``."""
    reason = skip(config, fraction) or _too_slow(result.trials, config, fraction, limit_s)
    if reason is None:
        return False
    result.skipped += 1
    _record(proposer, result, config, origin, fraction, TrialOutcome(None, 0.0, 0.0, {}, reason), at_s, at_s,
            failure_loss, on_trial)
    return True


def _fraction_limit(limit_s: float | None, fraction: float) -> float | None:
    """A trial on a fraction of the rows gets that fraction of the time limit, but at least a third of it:
    a configuration that needs more on a ninth of the rows could never finish on all of them."""
    return None if limit_s is None else limit_s * max(fraction, 1 / SMAC_SETTINGS["halving_eta"])


def _too_slow(trials: list[TrialRecord], config: dict, fraction: float, limit_s: float | None) -> str | None:
    """Successive halving promotes by loss alone; a configuration whose trial on a smaller fraction,
    scaled linearly in rows, predicts a run past its time limit (or the budget) would only waste it."""
    key = _key(config)
    earlier = [t for t in trials if t.ok and t.fraction < fraction and _key(t.config) == key]
    if limit_s is None or not earlier:
        return None
    last = max(earlier, key=lambda t: t.fraction)
    predicted = (last.finished_s - last.started_s) * fraction / last.fraction
    if predicted <= limit_s:
        return None
    return (f"TimeEstimate: skipped, predicted to take {predicted:,.0f} s on {fraction:.0%} of the rows "
            f"({last.finished_s - last.started_s:,.0f} s on {last.fraction:.0%}), over the {limit_s:,.0f} s it may take")


def _cut_by_budget(outcome: TrialOutcome) -> bool:
    """A trial killed because the budget ran out (not at its own limit) was cut, not failed."""
    return outcome.loss is None and (outcome.error or "").startswith(BUDGET_END)


def _timed_ask(proposer, result: SearchResult) -> tuple[dict, str, float] | None:
    tick = time.perf_counter()
    try:
        return proposer.ask()
    except (ConfigurationSpaceExhaustedException, StopIteration):
        return None
    finally:
        result.optimizer_seconds += time.perf_counter() - tick


def _keep_predictions(result: SearchResult, record: TrialRecord, outcome: TrialOutcome) -> None:
    if not record.ok or outcome.predictions is None:
        return
    result.predictions[record.trial_id] = outcome.predictions
    keep_best_predictions(result)


def keep_best_predictions(result: SearchResult) -> None:
    """Hold the out-of-fold predictions of the KEEP_PREDICTIONS best trials only, and on a large
    table fewer: as many as fit in KEEP_PREDICTIONS_MB (but at least MIN_KEEP_PREDICTIONS)."""
    each = max(next(iter(result.predictions.values())).nbytes, 1) if result.predictions else 1
    keep = max(MIN_KEEP_PREDICTIONS, min(KEEP_PREDICTIONS, KEEP_PREDICTIONS_MB * 2**20 // each))
    while len(result.predictions) > keep:
        losses = {t.trial_id: t.loss for t in result.trials if t.trial_id in result.predictions}
        del result.predictions[max(losses, key=lambda i: (losses[i], i))]


def _failure_cost(result: SearchResult | list[TrialRecord], floor: float) -> float:
    trials = result.trials if isinstance(result, SearchResult) else result
    losses = [t.loss for t in trials if t.ok] + [floor]
    return max(losses) + max(max(losses) - min(losses), 1e-3)


class _SmacProposer:
    """SMAC 2.4's HyperparameterOptimizationFacade (random forest + log EI) via ask/tell; with a
    ``min_fraction``, its successive halving over data fractions (budgets) as intensifier."""

    def __init__(self, space: SearchSpace, seed: int, max_trials: int | None, initial: list[dict], output_dir: Path,
                 min_fraction: float | None = None):
        cs = space.configspace
        initial = initial[:max_trials] if max_trials else initial
        self._budgets = min_fraction is not None
        budgets = {"min_budget": min_fraction or 1.0, "max_budget": 1.0}
        scenario = Scenario(cs, name="smac", output_directory=Path(output_dir), deterministic=True,
                            n_trials=max(max_trials or 1_000_000, len(initial)), seed=seed, use_default_config=False,
                            **budgets)
        s = SMAC_SETTINGS
        design = HPO.get_initial_design(scenario, n_configs=s["sobol_configs"],
                                        additional_configs=[Configuration(cs, values=c) for c in initial])
        surrogate = RandomForest(cs, log_y=True, n_trees=s["n_trees"], ratio_features=1.0, min_samples_split=2,
                                 min_samples_leaf=1, max_depth=2**20, bootstrapping=True, seed=seed,
                                 n_jobs=s["surrogate_jobs"], max_leaf_nodes=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # SMAC 2.4 calls ConfigSpace's old API
            self._smac = self._facade(scenario, surrogate, design, seed)
        self._pending: dict[tuple, TrialInfo] = {}  # asked, not yet told (one runs while the next is asked)
        # Successive halving promotes a stage's best once all of it is told; asked ahead, it would
        # start a new bracket instead. Its trials are long (large data), so its asks need not overlap them.
        self.ask_ahead = not self._budgets
        self.origins: dict[tuple, str] = {}  # initial configuration -> where it came from
        self.over_share: Callable[[], bool] = lambda: False  # the optimizer has used more than its share of time
        self._space, self._seed, self._n_initial, self._asked, self._seen = space, seed, len(initial), 0, set()
        self._trial_seed: int | None = None  # the seed SMAC's intensifier gives trials (a substitute takes it too)

    @staticmethod
    def _facade(scenario: Scenario, surrogate: RandomForest, design, seed: int) -> HPO:
        s, cs = SMAC_SETTINGS, scenario.configspace
        return HPO(
            scenario, _never_called,
            model=surrogate,
            initial_design=design,
            intensifier=SuccessiveHalving(scenario, eta=s["halving_eta"], seed=seed),
            random_design=HPO.get_random_design(scenario, probability=s["random_probability"]),
            acquisition_maximizer=LocalAndSortedRandomSearch(
                cs, challengers=s["challengers"], local_search_iterations=s["local_search_iterations"],
                n_steps_plateau_walk=s["plateau_steps"], max_steps=s["local_search_steps"], seed=seed),
            config_selector=_BatchedConfigSelector(scenario, retrain_after=s["retrain_after"]),
            logging_level=False, overwrite=True,  # never reconfigure the user's logging
        )

    def ask(self) -> tuple[dict, str, float]:
        self._asked += 1
        if self._asked > self._n_initial and not self._budgets and self._trial_seed is not None and self.over_share():
            return self._ask_random()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the surrogate's numpy warnings are not the user's business
            info = self._smac.ask()
        config = plain(info.config)
        fraction = 1.0 if info.budget is None else float(info.budget)
        self._pending[(_key(config), fraction)] = info
        self._seen.add(_key(config))
        self._trial_seed = info.seed
        initial = "Initial" in (info.config.origin or "")
        return config, (self.origins.get(_key(config), "initial design") if initial else "smac"), fraction

    def _ask_random(self) -> tuple[dict, str, float]:
        """A random configuration instead of SMAC's (which would cost more than its share of time)."""
        for draw in range(1000):
            config = self._space.sample(1, seed=self._seed * 100_003 + 7 * self._asked + draw)[0]
            if _key(config) not in self._seen:
                break
        self._seen.add(_key(config))
        cs = self._smac.scenario.configspace
        self._pending[(_key(config), 1.0)] = TrialInfo(Configuration(cs, values=config), seed=self._trial_seed,
                                                       budget=1.0)
        return config, "random (SMAC over its time share)", 1.0

    def tell(self, record: TrialRecord, worst: float) -> None:
        info = self._pending.pop((_key(record.config), record.fraction))
        self._tell(info, record, worst)

    def replay(self, history: list[TrialRecord], failure_loss: float) -> None:
        """Tell trials finished before (a resumed run) as if they had just run; SMAC never proposes them again."""
        worst = _failure_cost(list(history), failure_loss)
        for record in history:
            self._seen.add(_key(record.config))
            self._tell(TrialInfo(Configuration(self._smac.scenario.configspace, values=record.config),
                                 seed=self._smac.scenario.seed, budget=record.fraction),
                       record, worst)

    def _tell(self, info: TrialInfo, record: TrialRecord, worst: float) -> None:
        status = StatusType.SUCCESS if record.ok else StatusType.CRASHED
        cost = record.loss if record.ok else worst
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._smac.tell(info, TrialValue(cost=cost, time=record.fit_seconds, status=status), save=False)


class _BatchedConfigSelector(ConfigSelector):
    """SMAC's config selector with the incumbent's predicted cost computed in one batch.

    SMAC 2.4 predicts every evaluated configuration's cost one row at a time after each surrogate
    fit (``_get_x_best``): with 200 trials that was 40 % of all ask time. Same result, one call.
    """

    def _get_x_best(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        costs = self._model.predict_marginalized(X)[0][:, 0]
        best = int(np.argmin(costs))  # the first of equals, as SMAC's stable sort picks
        return X[best], float(costs[best])


class _RandomProposer:
    """Random search over the same space, after the same initial design: the ablation baseline."""

    ask_ahead = True

    def __init__(self, space: SearchSpace, seed: int, initial: list[dict]):
        self._queue = list(initial)
        self.origins: dict[tuple, str] = {}
        self._space = space
        self._rng_seed = seed
        self._drawn = 0
        self._seen: set[tuple] = set()

    def ask(self) -> tuple[dict, str, float]:
        if self._queue:
            config = self._queue.pop(0)
            return config, self.origins.get(_key(config), "initial design"), 1.0
        for _ in range(1000):  # a small discrete space may repeat itself: never evaluate twice
            self._drawn += 1
            config = self._space.sample(1, seed=self._rng_seed * 100_003 + self._drawn)[0]
            if _key(config) not in self._seen:
                self._seen.add(_key(config))
                return config, "random", 1.0
        raise StopIteration

    def tell(self, record: TrialRecord, worst: float) -> None:
        self._seen.add(_key(record.config))

    def replay(self, history: list[TrialRecord], failure_loss: float) -> None:
        self._seen.update(_key(t.config) for t in history)
        self._drawn = len(history)  # draw on from there rather than re-drawing what was evaluated


def config_key(config: dict) -> tuple:
    """A configuration as a hashable key (the same for equal configurations)."""
    return tuple(sorted(config.items()))


_key = config_key


def _never_called(config, seed: int = 0, budget: float | None = None) -> float:  # SMAC wants a target function; we drive ask/tell
    raise RuntimeError("automl drives SMAC through ask/tell")
