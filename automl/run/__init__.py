"""One run, from its directory to its final model: the run directory, the budget, the final refit,
its estimated score and what a run leaves behind.

    store.py      the run directory, written as the search goes and read back to resume
    budget.py     ``Budget``: every deadline, reserve and slack of a fit, in one place
    final.py      the best trial refit on all rows, and the ensemble of the best ones
    estimate.py   the final selection cross-validated: the saved model's nested out-of-fold score
    curve.py      that score's step along the learning curve, from the folds' rows to all rows
    modelfile.py  saving and loading fitted models as skops files
    export.py     the final model as plain scikit-learn objects

The trial records and the run's settings it reads and writes are ``automl.records`` and
``automl.settings``, atomic writes ``automl.files``. Nothing here imports SMAC or ConfigSpace:
``automl leaderboard`` and ``automl report`` read runs without them.
"""
