"""The initial design of a search: the user's configurations, then the meta-learned warm start,
then the space's defaults, each with where it came from."""

from __future__ import annotations

from automl.metalearning.warmstart import warm_start_design
from automl.search.cost import CostModel, by_gain_per_second
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
