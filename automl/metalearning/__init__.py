"""Meta-learning: what earlier datasets teach a new search.

    metafeatures.py  the data's meta-features (auto-sklearn's run-time set)
    metabase.py      the metabase file, and the user's remembered runs
    warmstart.py     a greedy portfolio and the best of the nearest datasets
    build.py         ``automl metabase build``: one pool of configurations evaluated per dataset
"""
