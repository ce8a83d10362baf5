"""The ``automl`` command line: one module per command group, ``common`` for what they share.

    main.py      the ``automl`` group, assembled from the commands below
    common.py    bad input as one sentence (exit status 2), logging as plain lines
    fit.py       ``automl fit``
    model.py     ``automl predict``, ``automl export``
    runs.py      ``automl leaderboard``, ``automl report``
    bench.py     ``automl bench``
    metabase.py  ``automl metabase build``, ``automl metabase add``
"""
