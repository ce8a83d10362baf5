"""What one evaluation produced, and the ways a trial is stopped from outside, spelled once.

The worker process and the dask runner stop trials for the same reasons (their own time limit,
the end of the budget, memory, a dead process, the user); both build their outcomes here, with a
``TrialStatus`` the search reads instead of parsing the error text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from automl.records import TrialStatus


@dataclass(frozen=True)
class TrialOutcome:
    """What one evaluation produced; ``loss`` is None unless ``status`` is OK."""

    loss: float | None
    fit_seconds: float
    predict_seconds: float
    warnings: dict[str, int] = field(default_factory=dict)  # warning category -> times raised
    error: str | None = None
    predictions: np.ndarray | None = field(default=None, repr=False)  # out-of-fold, float32, NaN where unvalidated
    scores: dict[str, float] = field(default_factory=dict)  # every metric of the run, in its usual direction
    status: TrialStatus = TrialStatus.OK
    projected_s: float | None = None  # stopped between folds, on course to pass its limit: the seconds it was heading for

    def __post_init__(self) -> None:
        if self.loss is None and self.status is TrialStatus.OK:
            object.__setattr__(self, "status", TrialStatus.FAILED)


class TrialStopped(Exception):
    """A trial (or a refit) did not come back: why, as a status and one sentence."""

    def __init__(self, status: TrialStatus, message: str):
        super().__init__(message)
        self.status = status

    def __reduce__(self):  # it crosses the worker's socket and dask's pickling
        return (TrialStopped, (self.status, str(self)))

    def outcome(self, seconds: float = 0.0) -> TrialOutcome:
        return TrialOutcome(None, seconds, 0.0, {}, str(self), status=self.status)


def past_limit(limit_s: float | None) -> TrialStopped:
    return TrialStopped(TrialStatus.TIMEOUT, f"TimeoutError: the trial ran past its limit of {limit_s or 0:.1f} s")


def at_budget_end() -> TrialStopped:
    return TrialStopped(TrialStatus.BUDGET_END, "BudgetEnd: stopped at the end of the time budget")


def interrupted() -> TrialStopped:
    return TrialStopped(TrialStatus.INTERRUPTED, "Interrupted: the trial was stopped by the user")


def over_memory(used_mb: float, limit_mb: float) -> TrialStopped:
    return TrialStopped(TrialStatus.MEMORY, f"MemoryError: the trial used {used_mb:.0f} MB, over its memory limit "
                                            f"of {limit_mb:.0f} MB")


def out_of_memory() -> TrialStopped:
    return TrialStopped(TrialStatus.MEMORY, "MemoryError: the trial ran out of memory")


def process_died(detail: str) -> TrialStopped:
    return TrialStopped(TrialStatus.CRASHED, f"ProcessError: {detail}")


def raised(message: str) -> TrialStopped:
    """The job raised inside its process (the message is ``Type: text``)."""
    return TrialStopped(TrialStatus.FAILED, message)
