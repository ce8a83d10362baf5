"""automl: CASH search over scikit-learn, LightGBM and XGBoost pipelines for tabular data.

The public names are imported lazily so that a trial process, which imports
``automl.trials.worker``, does not pay for SMAC and ConfigSpace.
"""

from importlib import import_module

__version__ = "0.1.0"
__all__ = ["AutoClassifier", "AutoRegressor", "load_model", "save_model", "__version__"]
_HOMES = {"AutoClassifier": "automl.estimators", "AutoRegressor": "automl.estimators",
          "load_model": "automl.estimators", "save_model": "automl.run.modelfile"}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    if name == "figures":  # automl.figures.search_history(model), as documented
        return import_module("automl.report.figures")
    raise AttributeError(f"module 'automl' has no attribute {name!r}")
