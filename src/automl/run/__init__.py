"""One run, from its settings to its final model: typed records, the run directory, the budget,
the final refit and what a run leaves behind.

    records.py    frozen records: a trial's result, its status, the run's settings; the ranking
    files.py      atomic writes (a temporary file, fsynced, renamed into place)
    store.py      the run directory, written as the search goes and read back to resume
    budget.py     ``Budget``: every deadline, reserve and slack of a fit, in one place
    final.py      the best trial refit on all rows, and the ensemble of the best ones
    modelfile.py  saving and loading fitted models as skops files
    export.py     the final model as plain scikit-learn objects

Nothing here imports SMAC or ConfigSpace: ``automl leaderboard`` and ``automl report`` read runs
without them.
"""
