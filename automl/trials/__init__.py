"""One trial, evaluated in isolation: fit a configuration's pipeline on the resampling folds,
score its out-of-fold predictions, within a time and a memory limit.

    resampling.py    the validation rule (k-fold CV or holdout) and the fold plan
    evaluation.py    ``evaluate`` (one trial), ``refit`` (the final model), ``predict``
    outcomes.py      what a trial produced, and the failures that stop one, as typed values
    resources.py     the process's memory: what is available, what a process tree holds, trimming
    worker.py        the trial worker process (a hang, a crash, a blow-up stays a failed trial)
    dask_runner.py   trials side by side on dask.distributed; ``dask_task`` and ``dask_launcher``
                     are what its scheduler and its local cluster import
    runners.py       the trial runner a search drives: the worker, or a dask pool
"""
