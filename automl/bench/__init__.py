"""``automl bench``: automl and honest baselines, side by side, over a manifest of datasets.

    runner.py    each (dataset, system, seed) as its own process, resumable from runs.jsonl
    systems.py   what each system is and how it is fit and scored on one split
    tables.py    the result tables: scores, mean ranks, win/tie/loss, time and memory
"""
