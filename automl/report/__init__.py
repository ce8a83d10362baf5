"""What a run shows: the leaderboard, the live progress of a fit, figures, hyperparameter
importance and the one-page HTML report.

    leaderboard.py   one row per trial, best first, and its terminal table
    progress.py      the live panel (terminal) or one line per trial (logs)
    runview.py       a run directory read back for figures and the report
    importance.py    fANOVA-style hyperparameter importance
    figures.py       matplotlib figures of a run or a fitted model
    html.py          ``write_report``: one self-contained HTML page
"""

from importlib import import_module


def __getattr__(name: str):
    if name == "write_report":  # automl.report.write_report, as documented; matplotlib loads on use
        return import_module("automl.report.html").write_report
    raise AttributeError(f"module 'automl.report' has no attribute {name!r}")
