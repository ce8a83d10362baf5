"""What a dask worker runs for one trial, in a module that imports nothing heavy.

dask's scheduler unpickles every task it is given, and with it imports the module that holds
the task's function. Kept here, that costs the scheduler nothing; in ``automl.trials.dask_runner`` it
cost seconds of pandas and scikit-learn imports inside the scheduler's event loop at the first
trial, during which no worker could be placed or stopped.
"""

from __future__ import annotations

import functools
import pickle


def evaluate_on_worker(steps: dict, data, fraction: float = 1.0, limit_s: float | None = None):
    """Runs on a dask worker (which preloads ``automl.trials.evaluation``). ``data`` is the ``TrialData``
    itself (a remote cluster) or the file it was written to (a local cluster: a restarted worker
    reads it again, nothing to lose)."""
    from automl.trials.evaluation import evaluate

    return evaluate(steps, _read_data(data) if isinstance(data, str) else data, fraction=fraction, limit_s=limit_s)


def dask_setup(worker) -> None:
    """Run by dask as each local worker starts (this module is preloaded): what a trial starts stays the
    worker's descendant even when its parent exits, so stopping the trial can stop it too."""
    from automl.trials.resources import adopt_orphans

    adopt_orphans()


def stop_started_processes() -> None:
    """Run on a worker before it is restarted: stop every process its trial started (they would
    outlive the worker's own process)."""
    import os

    from automl.trials.resources import kill_descendants

    kill_descendants(os.getpid())


@functools.lru_cache(maxsize=1)
def _read_data(path: str):
    with open(path, "rb") as source:
        return pickle.load(source)  # our own file, written by the driver a moment ago
