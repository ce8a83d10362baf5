"""Widen the search space with your own YAML folder, and narrow it with include/exclude.

    python examples/custom_space.py [N_TRIALS]
"""

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer

from automl import AutoClassifier

n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 12
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
model = AutoClassifier(
    time_budget=None, max_trials=n_trials, seed=0,
    search_space_dir=str(Path(__file__).parent / "custom_space"),  # adds the adaboost family
    include=("adaboost", "lightgbm", "logistic_regression"),  # only these model families
    warm_start="none",  # the shipped metabase knows nothing of adaboost: start from every family's defaults
)
model.fit(X, y)
print(model.leaderboard_[["rank", "model", "roc_auc", "status"]].head(8).to_string(index=False))
