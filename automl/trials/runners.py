"""Where a search's trials run: the trial worker (one at a time), or dask workers (several at once).

``open_trials`` picks one: dask when a connection was asked for (``n_jobs`` > 1 or a scheduler's
address) and could be made, else the worker; a cluster that cannot start costs a warning, not the fit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from automl.errors import InputError
from automl.trials.evaluation import TrialData
from automl.trials.outcomes import TrialOutcome, TrialStopped
from automl.trials.worker import TrialWorker

logger = logging.getLogger(__name__)


class WorkerTrials:
    """Evaluate configurations of one space in a worker, one at a time: what ``run_search`` drives."""

    def __init__(self, worker: TrialWorker, to_steps: Callable[[dict], Any], keep_models: bool = False,
                 on_submit: Callable[[dict], None] = lambda config: None):
        self._worker = worker
        self._to_steps = to_steps
        self.keep_models = keep_models  # the worker holds each trial's fold models until told to save them
        self._on_submit = on_submit  # e.g. the progress display, showing what is being evaluated
        self._started = 0.0

    def submit(self, config: dict, timeout_s: float | None, limit_s: float | None = None, fraction: float = 1.0) -> None:
        self._on_submit(config)
        self._started = time.perf_counter()
        self._worker.submit("evaluate", (self._to_steps(config), self.keep_models, fraction, limit_s), timeout_s,
                            limit_s)

    def collect(self, should_stop: Callable[[], bool] = lambda: False) -> TrialOutcome:
        try:
            return self._worker.collect(should_stop)
        except TrialStopped as stopped:
            return stopped.outcome(time.perf_counter() - self._started)

    @property
    def restart_s(self) -> float:
        """Seconds the worker took to start, as last measured: what a restart after a cut trial costs."""
        return self._worker.startup_s

    def save_models(self, path: Path, timeout_s: float) -> bool:
        """Write the fold models of the trial just collected to ``path``; False if that failed."""
        if not self._worker.alive:
            return False
        try:
            self._worker.run("save", str(Path(path).resolve()), timeout_s)  # the worker may run elsewhere
            return True
        except TrialStopped as failure:
            logger.warning("Could not keep the models of a trial (%s).", failure)
            return False

    def close(self) -> None:
        """The worker outlives the search: the final refit runs in it."""


def connect_dask(n_jobs: int, address: str | None, memory_limit_mb: float):
    """With ``n_jobs`` > 1 or an ``address``, a dask connection starting in the background (a local
    cluster's processes import their libraries while the fit prepares); else None."""
    if n_jobs == 1 and not address:
        return None
    from automl.trials.dask_runner import DaskConnection

    return DaskConnection(n_jobs, address, memory_limit_mb / n_jobs)


def open_trials(worker: TrialWorker, dask, data: TrialData, to_steps: Callable[[dict], Any], *, keep_models: int,
                on_submit: Callable[[dict], None], wait_s: float | None):
    """The trial runner of a search: dask workers when ``dask`` connects within ``wait_s``, else the
    ``worker``. Fold models are kept (``keep_models`` > 0) only by the worker: dask workers do not hold them."""
    if dask is not None:
        from automl.trials.dask_runner import DaskTrials

        try:
            return DaskTrials(dask, data, to_steps, on_submit=on_submit, timeout_s=wait_s)
        except InputError as problem:  # the search goes on in this process's own worker
            logger.warning("%s Running the trials one at a time instead.", problem)
            dask.close()
    return WorkerTrials(worker, to_steps, keep_models=keep_models > 0, on_submit=on_submit)
