"""Classification from a CSV file: fit, look at the leaderboard, save, load, predict.

    python examples/classify_csv.py [TIME_BUDGET_SECONDS]
"""

import sys
from pathlib import Path

import pandas as pd

from automl import AutoClassifier, load_model, save_model

budget = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
data = pd.read_csv(Path(__file__).parent.parent / "datasets" / "titanic.csv")
X, y = data.drop(columns=["survived"]), data["survived"]

model = AutoClassifier(time_budget=budget, seed=0).fit(X, y)
print(model.leaderboard_[["rank", "model", "encoder", "roc_auc", "fit_seconds", "status"]].head(5).to_string(index=False))
print(f"{model.n_trials_} trials. {model.final_model_.line()}")  # what was saved, and its honest estimate

path = save_model(model, "titanic-example.skops")
print(load_model(path).predict_proba(X.head(3)))
