"""SMAC 2.4's random-forest SMBO as a proposer the search loop asks and tells.

Every SMAC default that would shape a CASH run is set here explicitly (``SMAC_SETTINGS``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from ConfigSpace import Configuration
from smac import HyperparameterOptimizationFacade as HPO
from smac import Scenario
from smac.acquisition.maximizer import LocalAndSortedRandomSearch, LocalSearch
from smac.intensifier import SuccessiveHalving
from smac.main.config_selector import ConfigSelector
from smac.model.random_forest import RandomForest
from smac.runhistory import StatusType, TrialInfo, TrialValue

from automl.records import TrialRecord, config_key
from automl.space.configspace import SearchSpace, plain

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


def failure_cost(trials: list[TrialRecord], floor: float) -> float:
    """What a failed trial is told as: worse than a constant predictor and than every loss seen so far."""
    losses = [t.loss for t in trials if t.ok] + [floor]
    return max(losses) + max(max(losses) - min(losses), 1e-3)


class SmacProposer:
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
            acquisition_maximizer=_ordered(LocalAndSortedRandomSearch(
                cs, challengers=s["challengers"], local_search_iterations=s["local_search_iterations"],
                n_steps_plateau_walk=s["plateau_steps"], max_steps=s["local_search_steps"], seed=seed)),
            config_selector=BatchedConfigSelector(scenario, retrain_after=s["retrain_after"]),
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
        self._pending[(config_key(config), fraction)] = info
        self._seen.add(config_key(config))
        self._trial_seed = info.seed
        initial = "Initial" in (info.config.origin or "")
        return config, (self.origins.get(config_key(config), "initial design") if initial else "smac"), fraction

    def _ask_random(self) -> tuple[dict, str, float]:
        """A random configuration instead of SMAC's (which would cost more than its share of time)."""
        for draw in range(1000):
            config = self._space.sample(1, seed=self._seed * 100_003 + 7 * self._asked + draw)[0]
            if config_key(config) not in self._seen:
                break
        self._seen.add(config_key(config))
        cs = self._smac.scenario.configspace
        self._pending[(config_key(config), 1.0)] = TrialInfo(Configuration(cs, values=config), seed=self._trial_seed,
                                                       budget=1.0)
        return config, "random (SMAC over its time share)", 1.0

    def adopt(self, config: dict, fraction: float) -> bool:
        """Whether a configuration SMAC did not propose (a too-slow one, shrunk) may run: it is then told
        like one that was, so the surrogate learns from it. Not in a multi-fidelity search (successive
        halving tracks the trials it proposed), nor one seen before or outside the space."""
        if self._budgets or config_key(config) in self._seen:  # run already (two counts shrink to one)
            return False
        try:
            info = TrialInfo(Configuration(self._smac.scenario.configspace, values=config), seed=self._trial_seed,
                             budget=fraction)
        except Exception:  # noqa: BLE001  ConfigSpace raises several types for a value outside its space
            return False
        self._seen.add(config_key(config))
        self._pending[(config_key(config), fraction)] = info
        return True

    def tell(self, record: TrialRecord, worst: float) -> None:
        info = self._pending.pop((config_key(record.config), record.fraction))
        self._tell(info, record, worst)

    def replay(self, history: list[TrialRecord], failure_loss: float) -> None:
        """Tell trials finished before (a resumed run) as if they had just run; SMAC never proposes them again."""
        worst = failure_cost(list(history), failure_loss)
        for record in history:
            self._seen.add(config_key(record.config))
            self._tell(TrialInfo(Configuration(self._smac.scenario.configspace, values=record.config),
                                 seed=self._smac.scenario.seed, budget=record.fraction),
                       record, worst)

    def _tell(self, info: TrialInfo, record: TrialRecord, worst: float) -> None:
        status = StatusType.SUCCESS if record.ok else StatusType.CRASHED
        cost = record.loss if record.ok else worst
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._smac.tell(info, TrialValue(cost=cost, time=record.fit_seconds, status=status), save=False)


class BatchedConfigSelector(ConfigSelector):
    """SMAC's config selector with the incumbent's predicted cost computed in one batch.

    SMAC 2.4 predicts every evaluated configuration's cost one row at a time after each surrogate
    fit (``_get_x_best``): with 200 trials that was 40 % of all ask time. Same result, one call.
    """

    def _get_x_best(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        costs = self._model.predict_marginalized(X)[0][:, 0]
        best = int(np.argmin(costs))  # the first of equals, as SMAC's stable sort picks
        return X[best], float(costs[best])


class _OrderedLocalSearch(LocalSearch):
    """SMAC's local search with its start points in an order fixed by their values.

    SMAC 2.4 removes repeated start points through a set (its docstring promises the first of each,
    in order), so their order followed Python's per-process string hashing, and with it which
    configuration SMAC proposed when two scored alike: the same seed and trial budget gave different
    runs in different processes (2 of 5 shared datasets, ``--trials 20 --seed 0``).
    """

    def _get_initial_points(self, *args, **kwargs) -> list[Configuration]:
        points = super()._get_initial_points(*args, **kwargs)
        return sorted(points, key=lambda config: tuple(np.nan_to_num(config.get_array(), nan=-1.0)))


def _ordered(maximizer: LocalAndSortedRandomSearch) -> LocalAndSortedRandomSearch:
    maximizer._local_search.__class__ = _OrderedLocalSearch  # SMAC builds it inside; same state, one method more
    return maximizer


def _never_called(config, seed: int = 0, budget: float | None = None) -> float:  # SMAC wants a target function; we drive ask/tell
    raise RuntimeError("automl drives SMAC through ask/tell")
