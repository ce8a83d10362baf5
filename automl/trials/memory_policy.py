"""A trial's memory limit, and which configurations to skip because they would exceed it.

The estimate itself (``automl.space.memory``) reads a configuration's steps and the table's shape;
this module knows the table and the machine: the memory available when the fit starts, the
table's distinct values and its size in memory (read once: on a million rows that is seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from automl.space.memory import TableShape, estimate_mb, headroom_mb
from automl.trials.evaluation import TrialData
from automl.trials.resources import available_memory_mb

MEMORY_SHARE = 0.75  # default per-trial memory limit: this share of the memory available at fit
DATE_WIDTH = 12  # numeric columns a date becomes (its parts, some encoded periodically), for the estimate
TEXT_WIDTH = 30  # ... and a text column (its encoder's components)
Skip = Callable[[dict, float], "str | None"]


def memory_limit_mb(given: float | None) -> float:
    """The per-trial memory limit in MB: as given, or a share of the memory available now."""
    return float(given) if given is not None else MEMORY_SHARE * available_memory_mb()


def memory_checks(to_steps: Callable[[dict], Any], data: TrialData) -> Callable[[float, int], Skip]:
    """``checks(limit, rows)`` gives ``skip(config, fraction)``: a reason when fitting on ``fraction``
    of ``rows`` rows is estimated to need more than its worker may add under the memory limit ``limit``."""
    X = data.X
    levels = tuple(int(X[c].nunique()) for c in data.schema.categorical)
    data_mb = X.memory_usage(deep=True).sum() / 2**20
    itemsize = 4 if set(data.schema.float32) == set(data.schema.numeric) and not data.schema.categorical else 8
    valid_rows = max(len(valid) for _, valid in data.folds)

    def checks(limit: float, rows: int) -> Skip:
        shape = TableShape(rows=rows, n_numeric=len(data.schema.numeric) + DATE_WIDTH * len(data.schema.dates)
                           + TEXT_WIDTH * len(data.schema.text), categorical_levels=levels,
                           n_classes=data.n_classes, itemsize=itemsize, valid_rows=valid_rows)
        room = headroom_mb(limit, data_mb)

        def skip(config: dict, fraction: float) -> str | None:
            need = estimate_mb(to_steps(config), shape, fraction)
            if need <= room:
                return None
            return (f"MemoryEstimate: skipped, predicted to need {need:,.0f} MB where a trial may add "
                    f"{max(room, 0):,.0f} MB under its memory limit of {limit:,.0f} MB")

        return skip

    return checks
