"""Where the search loop's configurations are evaluated, as the loop sees it: one at a time (a worker
process) or several at once (a dask pool)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from automl.trials.outcomes import TrialOutcome


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
