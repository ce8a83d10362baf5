"""Regression from a pandas DataFrame, with a reproducible trial budget and a narrowed space.

    python examples/regress_dataframe.py [N_TRIALS]
"""

import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from automl import AutoRegressor

n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20
rng = np.random.default_rng(0)
X = pd.DataFrame({"size": rng.uniform(30, 200, 600), "rooms": rng.integers(1, 6, 600),
                  "city": rng.choice(["north", "south", "centre"], 600)})
y = 1000 * X["size"] * np.where(X["city"] == "centre", 1.5, 1.0) + rng.normal(0, 5000, 600)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = AutoRegressor(time_budget=None, max_trials=n_trials, seed=0, exclude=("mlp", "k_nearest_neighbors"))
model.fit(X_train, y_train)
rmse = -model.score(X_test, y_test)  # score() is the fit's metric, higher is better: RMSE negated
print(f"{model.final_model_.line()}\ntest rmse = {rmse:.0f}")
