"""The initial design of a search: the user's configurations, then the meta-learned warm start,
then the space's defaults, each with where it came from, ordered by predicted cost."""

from __future__ import annotations

import statistics
from collections.abc import Mapping

from automl.metalearning.warmstart import warm_start_design
from automl.search.cost import CostModel, may_shrink
from automl.space.configspace import SearchSpace


def initial_design(space: SearchSpace, *, initial_configs, warm_start, metabase: str | None, task: str,
                   metafeatures: dict[str, float], cost: CostModel | None = None,
                   time_budget: float | None = None, limit_s: float | None = None,
                   shrink_to_s: float | None = None) -> list[tuple[dict, str]]:
    """(configuration, origin) pairs to evaluate first: ``initial_configs`` (checked strictly against
    the space), the warm start for data with these ``metafeatures`` (adapted to the space; those that
    cannot be are left out), and the defaults; without repeats. Without configurations of the user's,
    the ``cost`` model orders them (``by_gain_per_second``): by expected gain per predicted second (as
    they will run: shrunk to ``shrink_to_s`` past a trial's ``limit_s``) when they cannot all run in the ``time_budget``,
    else with the first one predicted to take at most a tenth of it first."""
    warm = warm_start_design(warm_start, task, metafeatures, metabase)
    design = space.design_with_origins(initial_configs or (), warm)
    if initial_configs or cost is None:
        return design
    return by_gain_per_second(design, cost, time_budget, limit_s=limit_s, shrink_to_s=shrink_to_s)


def as_it_runs(config: Mapping, cost: CostModel, limit_s: float | None, shrink_to_s: float | None = None,
               origin: str = "") -> float | None:
    """A configuration's predicted seconds as the search will run it: shrunk (``CostModel.shrink``) to
    ``shrink_to_s`` (default: ``limit_s``) when predicted past the trial's ``limit_s`` and its ``origin``
    allows (``may_shrink``), as the loop does, else cut at the limit; None without a prediction."""
    predicted = cost.predict(config, 1.0, ())
    if predicted is None or limit_s is None or predicted[0] <= limit_s:
        return None if predicted is None else predicted[0]
    smaller = cost.shrink(config, limit_s if shrink_to_s is None else shrink_to_s, ()) if may_shrink(origin, 1.0) else None
    return limit_s if smaller is None else cost.predict(smaller, 1.0, ())[0]


def cheap_first(design: list[tuple[dict, str]], cost: CostModel, seconds: float | None,
                share: float = 0.1, limit_s: float | None = None, shrink_to_s: float | None = None) -> list[tuple[dict, str]]:
    """The design with its first configuration predicted to finish within ``share`` of the budget (as it
    runs: ``as_it_runs``) moved to the front (unchanged without a time budget or such a configuration):
    a short budget then never ends with nothing but time-outs, and later choices are told a strong
    loss early."""
    if seconds is None:
        return design
    for k, (config, origin) in enumerate(design):
        predicted = as_it_runs(config, cost, limit_s, shrink_to_s, origin)
        if predicted is not None and predicted <= share * seconds:
            return [design[k], *design[:k], *design[k + 1:]]
    return design


def by_gain_per_second(design: list[tuple[dict, str]], cost: CostModel, seconds: float | None, share: float = 0.5,
                       limit_s: float | None = None, shrink_to_s: float | None = None) -> list[tuple[dict, str]]:
    """The design ordered by expected gain per predicted second (as it runs: shrunk to ``shrink_to_s``
    past the trial's ``limit_s``) when it is predicted to take more than ``share`` of the budget (a wide table, many
    classes: not all of it will run), else ``cheap_first``. The expected gain of the k-th configuration
    (its warm-start rank) is taken as 1 / k; a configuration without a prediction counts at the median
    of the others. Orders nothing without a time budget."""
    if seconds is None:
        return design
    predicted = [as_it_runs(config, cost, limit_s, shrink_to_s, origin) for config, origin in design]
    known = [p for p in predicted if p is not None]
    if not known or sum(known) <= share * seconds:
        return cheap_first(design, cost, seconds, limit_s=limit_s, shrink_to_s=shrink_to_s)
    typical = statistics.median(known)
    rate = [1.0 / (k + 1) / max(p if p is not None else typical, 1e-3) for k, p in enumerate(predicted)]
    return [design[k] for k in sorted(range(len(design)), key=lambda k: -rate[k])]
