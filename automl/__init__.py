"""automl: CASH search over scikit-learn, LightGBM and XGBoost pipelines for tabular data."""

from automl.estimators import AutoClassifier, AutoRegressor
from automl.modelfile import load_model, save_model

__version__ = "0.1.0"
__all__ = ["AutoClassifier", "AutoRegressor", "load_model", "save_model", "__version__"]
