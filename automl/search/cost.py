"""A configuration's fit time, predicted before it runs: what the search skips and runs first by.

A trial's seconds are taken as proportional to its *work*: the share of the rows it fits on, the
hyperparameters its model's YAML names in ``fit_cost.scales_with`` (trees, iterations, leaves, hidden
units, the share of features a forest tries), 2 to the power of those in ``doubles_every`` over their
step (XGBoost's depth), for ``per_class`` families the number of classes and, for a family that encodes
categorical columns by target statistics (``target_encoded``: CatBoost's beyond ``one_hot_max_size``
levels), the table's columns with each such column counted as ``column_cost`` per class.
The seconds per unit of work of a family come from this run's own trials of that family (their
median, time-outs counted at the time they ran), else from the metabase's recorded fit times
scaled by the table (rows fitted over all folds x columns) and calibrated by how this run's
trials compared with that same prior so far. A configuration of the metabase's pool also carries its
own factor, how much slower or faster than its family's median configuration it ran there (a solver,
a penalty: what the work terms miss). A family with neither has no prediction.

Measured in ``benchmarks/cost_model.py``: how far the predictions fall from the seconds trials took.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from automl.errors import InputError
from automl.metalearning.metabase import Metabase, load_metabase, shipped_path, task_kind
from automl.records import TrialRecord, TrialStatus, config_key
from automl.space.components import Component, load_components

METABASE_FOLDS = 5          # the metabase's trials: 5-fold cross-validation ...
METABASE_MAX_ROWS = 2000    # ... on at most this many rows (automl.metalearning.build.MAX_ROWS)
RAN = (TrialStatus.OK, TrialStatus.TIMEOUT)  # trials whose seconds say how long the configuration takes
PRIOR_MARGIN = 2.0  # a prediction from the metabase alone skips only beyond twice the limit (it is rougher) ...
CALIBRATION_RANGE = (1.0, 2.0)  # ... and is calibrated by this run's trials within this range: never faster
# (on a wide table a quickly converging logistic regression set it to 0.75, and a CatBoost priced at 17.4 s ran into
# its 17.5 s limit)
SHRINK_TO = 0.5     # a configuration predicted too slow is shrunk to about this share of its time limit ...
SHRINK_TO_MEASURED = 0.7  # ... or this one when its family ran in this run (on this machine, as loaded now) ...
MAX_SHRINK = 8.0    # ... unless that takes its trees (rounds, iterations) below an eighth or their lower bound
SHRINKABLE = ("n_estimators", "dart_rounds", "max_iter", "iterations")  # counts whose cut leaves the same model, smaller
MAX_RAISED_RATE = 0.2  # a cut in the rounds raises the boosting step (fit_cost.step_size) at most to this (LightGBM,
# 26 classes, 36 trees: holdout log loss 0.205 at 0.1, 0.164 at 0.2, 24.1 at 0.278: multiclass boosting diverges)
FLOOR_CUT = 8.0  # a family's trials here may price its configurations that have not run this much below their prior
UNPREDICTED_SHARE = 0.08  # a configuration nothing predicts runs under this share of the budget ...
MIN_UNPREDICTED_LIMIT_S = 2.0  # ... but at least this long
MIN_COLUMNS = {     # shares of the columns a tree (split) tries are cut first, on a wide table down to this many:
    "colsample_bytree": 100,  # a boosted tree sees only its own sample (2,000 x 500, 8 classes, 30 informative:
    "max_features": 50,       # LightGBM's holdout log loss 0.53 with 100 columns a tree, 0.64 with 75, 0.81 with 50)
}                             # a forest's split draws again at every node
COLUMN_FIXED = {    # each such share, with the part of a tree's work that does not shrink with the columns:
    "colsample_bytree": 0.1,  # boosting (measured: LightGBM on 1,000 x 500, 8 classes, took 0.25 of its time
                              # at 0.2 of the columns, 0.37 at 0.3)
    "max_features": 0.04,     # forests, per split (benchmarks/forest_columns.py, 1,500 x 300, 4 classes: a random
}                             # forest took 0.118 of its time at 0.1, 0.049 at 0.03; extra trees 0.186 and 0.082)
COLUMN_SHARES = tuple(COLUMN_FIXED)
FACTOR_MIN_SECONDS = 1.0  # a configuration's own time factor is read on the metabase's tables this slow ...
FACTOR_MIN_TABLES = 5     # ... where there are at least this many


def column_term(share: float, name: str) -> float:
    """A tree's work at this share of the columns (hyperparameter ``name``), relative to all of them:
    affine, not proportional."""
    fixed = COLUMN_FIXED[name]
    return fixed + (1 - fixed) * share


@dataclass(frozen=True)
class TableWork:
    """The table's share of a trial's work: rows fitted over all folds (at fraction 1), columns, classes."""

    fit_rows: int
    n_features: int
    n_classes: int = 0  # 0 for regression
    category_levels: tuple[int, ...] = ()  # the levels of each categorical column (none known: no term)

    @property
    def size(self) -> float:
        return float(self.fit_rows) * max(self.n_features, 1)


def config_work(config: Mapping, components: Mapping[str, Component], table: TableWork, fraction: float = 1.0) -> float:
    """The configuration's work beyond the table's size: fraction x its model's cost hyperparameters (x classes,
    x the columns its target statistics add, over the table's: ``fit_cost.target_encoded``)."""
    component = components.get(config["model"])
    work = fraction
    if component is None:
        return work
    def value(name: str) -> float | None:  # an inactive hyperparameter (absent from the configuration) adds nothing
        key = f"{component.name}:{name}"
        given = config[key] if key in config else component.fixed.get(name)
        return float(given) if isinstance(given, (int, float)) and not isinstance(given, bool) and given > 0 else None

    for name in component.cost_scales_with:
        work *= column_term(value(name) or 1.0, name) if name in COLUMN_SHARES else value(name) or 1.0
    for name, step in component.cost_doubles_every.items():
        work *= 2.0 ** ((value(name) or 0.0) / step)
    if component.cost_per_class and table.n_classes > 2:
        work *= table.n_classes
    if component.cost_target_encoded and table.category_levels and table.n_features:
        name, column_cost = component.cost_target_encoded
        encoded = sum(levels > (value(name) or 0.0) for levels in table.category_levels)
        work *= (table.n_features + (column_cost * max(table.n_classes, 1) - 1) * encoded) / table.n_features
    return work


def _metabase_tables(metabase: Metabase, kind: str):
    """Each metabase dataset of this kind with its table's work (its trials: 5-fold CV on at most 2,000 rows)."""
    for entry in metabase.entries(kind):
        if entry.seconds is None:
            continue
        rows = min(round(math.exp(entry.metafeatures.get("log_rows", 0.0))), METABASE_MAX_ROWS)
        yield entry, TableWork(rows * (METABASE_FOLDS - 1), round(math.exp(entry.metafeatures.get("log_features", 0.0))),
                               round(math.exp(entry.metafeatures.get("log_classes", 0.0))) if kind != "regression" else 0)


def metabase_rates(metabase: Metabase | None, task: str, components: Mapping[str, Component]) -> dict[str, float]:
    """Each family's median seconds per unit of work x table size over the metabase's recorded fit times."""
    if metabase is None:
        return {}
    kind = task_kind(task)
    rates: dict[str, list[float]] = {}
    for entry, table in _metabase_tables(metabase, kind):
        for config, seconds in zip(metabase.pools.get(kind, []), entry.seconds):
            if seconds and config["model"] in components:
                work = config_work(config, components, table) * table.size
                rates.setdefault(config["model"], []).append(seconds / work)
    return {family: statistics.median(values) for family, values in rates.items()}


def factor_key(config: Mapping, components: Mapping[str, Component]) -> tuple:
    """A configuration's identity for its time factor: its model and preprocessor with their
    hyperparameters, but not the counts, column shares and step size a shrink changes (a shrunk
    configuration is the same model, smaller, and keeps its factor) nor the encoder (absent on a
    table without categories)."""
    model, preprocessor = config["model"], config.get("preprocessor")
    component = components.get(model)
    cut = {f"{model}:{name}" for name in (component.cost_scales_with if component else ())
           if name in SHRINKABLE or name in COLUMN_SHARES}
    cut |= {f"{model}:{component.cost_step_size}"} if component and component.cost_step_size else set()
    return tuple(sorted((k, f"{v:.6g}" if isinstance(v, float) else repr(v)) for k, v in config.items()
                        if k.split(":")[0] in ("model", "preprocessor", model, preprocessor) and k not in cut))


def metabase_factors(metabase: Metabase | None, task: str, components: Mapping[str, Component],
                     rates: Mapping[str, float],
                     project: Callable[[dict], dict | None] = lambda config: config) -> dict[tuple, float]:
    """Each pool configuration's time factor within its family, keyed by ``factor_key`` of the configuration
    as ``project`` adapts it to this run's space (the search runs it so): its median ratio of recorded
    seconds to its family's prediction (``rates``), over the family's median such ratio, so that a
    configuration the metabase never timed (factor 1) is priced at the family's typical rate. It is what
    the YAML's work terms miss: a logistic regression's solver, penalty and C. Taken over the tables where
    the family is predicted to take at least FACTOR_MIN_SECONDS (on smaller ones fixed overheads, the
    same for every configuration, hide the differences: saga with elastic net ran 5.5 times as long as
    lbfgs over all the metabase's tables, 16 times over these), or over all of them where fewer than
    FACTOR_MIN_TABLES are that large."""
    if metabase is None:
        return {}
    kind = task_kind(task)
    pool = metabase.pools.get(kind, [])
    ratios: dict[int, list[tuple[float, float]]] = {}  # (the family's predicted seconds, the ratio)
    for entry, table in _metabase_tables(metabase, kind):
        for i, (config, seconds) in enumerate(zip(pool, entry.seconds)):
            if seconds and (rate := rates.get(config["model"])):
                predicted = rate * config_work(config, components, table) * table.size
                ratios.setdefault(i, []).append((predicted, seconds / predicted))
    raw = {}
    for i, pairs in ratios.items():
        large = [ratio for predicted, ratio in pairs if predicted >= FACTOR_MIN_SECONDS]
        raw[i] = statistics.median(large if len(large) >= FACTOR_MIN_TABLES else [ratio for _, ratio in pairs])
    typical = {family: statistics.median(raw[i] for i in raw if pool[i]["model"] == family)
               for family in {pool[i]["model"] for i in raw}}
    factors = {}
    for i, factor in raw.items():
        if (adapted := project(dict(pool[i]))) is not None:
            factors[factor_key(adapted, components)] = factor / typical[pool[i]["model"]]
    return factors


@dataclass(frozen=True)
class CostModel:
    """Predicts a configuration's seconds on this table from this run's trials and the metabase's rates."""

    components: Mapping[str, Component]
    table: TableWork
    prior_rates: Mapping[str, float] = field(default_factory=dict)  # metabase_rates()
    prior_pool: tuple[dict, ...] = ()  # the metabase's configurations for this kind of task
    prior_factors: Mapping[tuple, float] = field(default_factory=dict)  # metabase_factors()
    prior_origins: tuple[str, ...] = ()  # where each pool configuration came from: "default", "random", "smac ..."

    def work(self, config: Mapping, fraction: float = 1.0) -> float:
        """The configuration's work (``config_work``) x its own time factor where the metabase knows it."""
        factor = self.prior_factors.get(factor_key(config, self.components), 1.0) if self.prior_factors else 1.0
        return config_work(config, self.components, self.table, fraction) * factor

    def prior_seconds(self, config: Mapping, fraction: float = 1.0) -> float | None:
        """The metabase's prediction alone (not calibrated), or None for a family it never timed."""
        rate = self.prior_rates.get(config["model"])
        return None if rate is None else rate * self.work(config, fraction) * self.table.size

    def predict(self, config: Mapping, fraction: float, trials: Iterable[TrialRecord]) -> tuple[float, str] | None:
        """Predicted seconds and what they rest on ("this run" or "metabase"), or None. The configuration's
        own trials in this run (shrunk or not) set the rate, else its family's; for a configuration the
        metabase timed itself (``prior_factors``) that has not run yet, its calibrated prior lowered
        FLOOR_CUT-fold is a floor: its family's trials may speak for it downwards only that far (after a
        0.2 s lbfgs logistic regression, a saga one with C = 1,579 had been priced at 2 s; it ran into its
        10 s limit), not further (with the calibrated prior itself as the floor, LightGBM's defaults on a
        26-class table were priced at 29 s: they took 3.6 s)."""
        ran = [t for t in trials if t.status in RAN and t.finished_s > t.started_s]
        family = [t for t in ran if t.config["model"] == config["model"]]
        prior = self.prior_seconds(config, fraction)
        calibrated = None if prior is None else prior * self.calibration(ran)
        if not family:
            return None if calibrated is None else (calibrated, "metabase")
        key = factor_key(config, self.components)
        itself = [t for t in family if factor_key(t.config, self.components) == key]  # it ran here, or a shrunk copy
        seconds = self.work(config, fraction) * statistics.median(
            t.seconds / self.work(t.config, t.fraction) for t in itself or family)
        if calibrated is not None and key in self.prior_factors and not itself:
            seconds = max(seconds, calibrated / FLOOR_CUT)
        return seconds, "this run"

    def calibration(self, ran: list[TrialRecord]) -> float:
        """How much slower than the metabase's prediction this run's trials ran: the median over families
        of each family's median ratio (a family is one vote however many trials it ran: six quick linear
        models must not speak for the forests), kept within CALIBRATION_RANGE (a machine's speed, not one
        family's poor fit to the prior, is what it is for)."""
        ratios: dict[str, list[float]] = {}
        for t in ran:
            if prior := self.prior_seconds(t.config, t.fraction):
                ratios.setdefault(t.config["model"], []).append(t.seconds / prior)
        if not ratios:
            return 1.0
        low, high = CALIBRATION_RANGE
        return min(max(statistics.median(statistics.median(r) for r in ratios.values()), low), high)

    def too_slow(self, config: Mapping, fraction: float, limit_s: float | None,
                 trials: Iterable[TrialRecord], prior_margin: float = PRIOR_MARGIN) -> str | None:
        """Why a configuration predicted to run past ``limit_s`` (beyond ``prior_margin`` x it on the
        metabase's word alone) should not start, or None."""
        predicted = None if limit_s is None else self.predict(config, fraction, trials)
        if predicted is None:
            return None
        seconds, basis = predicted
        if seconds <= limit_s * (1.0 if basis == "this run" else prior_margin):
            return None
        return f"TimeEstimate: skipped, predicted to take {seconds:,.0f} s (by {basis}), over the {limit_s:,.0f} s it may take"

    def shrink(self, config: Mapping, limit_s: float, trials: Iterable[TrialRecord],
               share: float | None = None) -> dict | None:
        """The configuration cut so that it is predicted to take about ``share`` x ``limit_s`` (default:
        SHRINK_TO_MEASURED by this run's trials of its family, SHRINK_TO by the metabase's word): first the
        share of the columns each tree tries (COLUMN_SHARES, on a wide table only: never below MIN_COLUMNS
        columns; measured on a 1,500 x 500 table, LightGBM with 0.3 of the columns took 9 s, not 25 s, and
        scored better), then its count of trees (rounds, iterations: the first active SHRINKABLE count its
        fit time is proportional to), raising a boosted model's step (``fit_cost.step_size``) by the same
        factor, up to MAX_RAISED_RATE (a 26-class CatBoost cut to 40 trees at its rate scored 2.43 validation
        log loss, against 0.16 for the XGBoost that ran whole). None when it has no prediction, or the cut
        would take a count below its lower bound or a MAX_SHRINK-th of it (a different model, not a smaller one)."""
        component = self.components.get(config["model"])
        predicted = self.predict(config, 1.0, trials)
        if component is None or predicted is None or predicted[0] <= 0:
            return None
        ranges = {h.name: h for h in component.hyperparameters}
        if share is None:  # measured here: 0.5 cut LightGBM on a wide 8-class table to 68 of its 100 trees (0.64 log
            share = SHRINK_TO_MEASURED if predicted[1] == "this run" else SHRINK_TO  # loss, not 0.53), in 6 of 10 s
        cut = share * limit_s / predicted[0]  # what is left to cut the work by
        smaller = dict(config)
        names = [n for n in component.cost_scales_with if f"{component.name}:{n}" in config and n in ranges]
        for name in [n for n in names if n in COLUMN_SHARES and ranges[n].type == "float"]:
            key, value = f"{component.name}:{name}", float(config[f"{component.name}:{name}"])
            floor = max(float(ranges[name].low), MIN_COLUMNS[name] / max(self.table.n_features, 1))
            if cut < 1.0 and value > floor:
                fixed = COLUMN_FIXED[name]
                smaller[key] = max(floor, (column_term(value, name) * cut - fixed) / (1 - fixed))
                cut *= column_term(value, name) / column_term(smaller[key], name)
        for name in [n for n in names if n in SHRINKABLE and ranges[n].type == "int"][:1]:
            key, value = f"{component.name}:{name}", config[f"{component.name}:{name}"]
            fewer = math.ceil(value * cut - 1e-9) if cut < 1.0 else value
            low = ranges[name].low if isinstance(ranges[name].low, (int, float)) else 1
            if fewer < max(low, value / MAX_SHRINK):
                return None
            smaller[key], cut = int(fewer), 1.0
            rate = component.cost_step_size and f"{component.name}:{component.cost_step_size}"
            if rate in config:  # trees x step about constant: a boosted model cut 5-10x kept its rate, under-fit
                top = min(float(ranges[component.cost_step_size].high), max(float(config[rate]), MAX_RAISED_RATE))
                smaller[rate] = min(top, float(config[rate]) * value / fewer)
        return smaller if cut >= 1.0 and smaller != dict(config) else None


def unpredicted_limit(cost: CostModel, config: Mapping, fraction: float, trials: Iterable[TrialRecord],
                      limit_s: float, budget_s: float | None) -> float:
    """``limit_s``, or for a configuration nothing predicts (a family new to this run and the metabase:
    CatBoost before the metabase knew it, a family of your own) UNPREDICTED_SHARE of the budget when that
    is less: a first trial that would run long is cut early, and its rerun, shrunk to half that time at
    the rate it ran, then finishes (on a 1,700-row, 7-class table CatBoost's defaults ran into a 15 s
    limit, and the rerun shrunk to half of it at the end of the budget)."""
    if budget_s is None or cost.predict(config, fraction, trials) is not None:
        return limit_s
    return min(limit_s, max(UNPREDICTED_SHARE * budget_s, MIN_UNPREDICTED_LIMIT_S))


def rerun_limit(ran_s: float, limit_s: float) -> float:
    """The time a trial stopped at its limit after ``ran_s`` is shrunk to fit (at the rate it ran, a lower
    bound) for its one rerun: half of ``limit_s``, the shrink limit, when it ran that long; for a trial cut
    early because nothing predicted it (``unpredicted_limit``), what cuts it to a MAX_SHRINK-th, as its
    time says only that it needs more (on a 1,900-row, 30-class table CatBoost cut at 6 s, rerun at half
    its iterations, ran past 15 s again): a small probe, after which its family is predicted."""
    return limit_s if ran_s >= 0.9 * limit_s else ran_s / (MAX_SHRINK * SHRINK_TO)


def may_shrink(origin: str, fraction: float) -> bool:
    """Whether a configuration may run smaller than asked: not on a data fraction (successive halving
    compares like with like), nor one listed by hand (a warm start given as a list runs as given: the
    metabase build replays its pool so)."""
    return fraction >= 1.0 and not origin.startswith("warm start: given")


def build_cost_model(components: Mapping[str, Component], task: str, folds, n_features: int, n_classes: int,
                     metabase_path: str | None,
                     project: Callable[[dict], dict | None] = lambda config: config,
                     category_levels: tuple[int, ...] = ()) -> CostModel:
    """The cost model of a run over these ``folds`` (lists of training rows) of the table (its categorical
    columns with ``category_levels``): the metabase at ``metabase_path`` (None: the shipped one, skipped
    when absent or unreadable) gives the priors; ``project`` adapts its configurations to the run's space
    (``SearchSpace.project``), as the warm start does, so that their time factors are found under the keys
    the search runs them with."""
    table = TableWork(sum(len(train) for train, _ in folds), n_features, n_classes if task != "regression" else 0,
                      tuple(category_levels))
    path = shipped_path() if metabase_path is None else metabase_path
    try:
        metabase = load_metabase(path)
    except InputError:  # warm starts report an unreadable metabase the user named; costs just go without
        metabase = None
    pool = tuple(metabase.pools.get(task_kind(task), ())) if metabase else ()
    origins = tuple(metabase.pool_origins.get(task_kind(task), ())) if metabase else ()
    rates = metabase_rates(metabase, task, components)
    return CostModel(components, table, rates, pool, prior_origins=origins,
                     prior_factors=metabase_factors(metabase, task, components, rates, project))


def typical_trial_seconds(task: str, n_features: int, n_classes: int,
                          metabase_path: str | None) -> Callable[[int], float | None]:
    """``seconds(fit_rows)``: the median, over the space's defaults in the metabase's pool (one per family;
    the whole pool where none is marked), of a configuration's predicted seconds on this table when a
    trial fits ``fit_rows`` rows over all its folds (None without a metabase). The defaults, not the whole
    pool: the median over a pool moves with how many slow random configurations it holds (the
    64-configuration pool's was twice the 23-configuration one's, and the resampling rule then chose fewer
    folds and repeats on 19 of 24 tables), the defaults' does not."""
    components = load_components()
    model = build_cost_model(components, task, [], n_features, n_classes, metabase_path)
    defaults = [c for c, origin in zip(model.prior_pool, model.prior_origins) if origin == "default"]
    pool = defaults or model.prior_pool

    def seconds(fit_rows: int) -> float | None:
        table = CostModel(components, TableWork(fit_rows, n_features, model.table.n_classes), model.prior_rates,
                          prior_factors=model.prior_factors)
        predicted = [s for config in pool if (s := table.prior_seconds(config)) is not None]
        return statistics.median(predicted) if predicted else None

    return seconds


def promotion_too_slow(trials: list[TrialRecord], config: dict, fraction: float, limit_s: float | None) -> str | None:
    """Successive halving promotes by loss alone; a configuration whose trial on a smaller fraction,
    scaled linearly in rows, predicts a run past its time limit (or the budget) would only waste it."""
    key = config_key(config)
    earlier = [t for t in trials if t.ok and t.fraction < fraction and config_key(t.config) == key]
    if limit_s is None or not earlier:
        return None
    last = max(earlier, key=lambda t: t.fraction)
    predicted = (last.finished_s - last.started_s) * fraction / last.fraction
    if predicted <= limit_s:
        return None
    return (f"TimeEstimate: skipped, predicted to take {predicted:,.0f} s on {fraction:.0%} of the rows "
            f"({last.finished_s - last.started_s:,.0f} s on {last.fraction:.0%}), over the {limit_s:,.0f} s it may take")
