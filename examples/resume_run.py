"""Stop a search and pick it up later: finished trials are read back from the run directory, never re-run.

    python examples/resume_run.py [N_TRIALS]

From the command line the same is `automl fit data.csv --target y --resume RUN_DIR` (Ctrl-C
during `automl fit` prints that command for you).
"""

import sys
import tempfile
from pathlib import Path

from sklearn.datasets import load_breast_cancer

from automl import AutoClassifier

n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 24
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
run_dir = Path(tempfile.mkdtemp(prefix="automl-example-")) / "run"

# First session: it ends after a third of the trials (as a Ctrl-C, a kill or a power cut would end it).
first = AutoClassifier(time_budget=None, max_trials=n_trials // 3, seed=0, run_dir=str(run_dir)).fit(X, y)
print(f"first session: {first.n_trials_} trials, best roc_auc {first.best_score_:.4f}, recorded in {run_dir}")

# Second session: same data, metric and seed; the trial budget is the run's total.
second = AutoClassifier(time_budget=None, max_trials=n_trials, seed=0, run_dir=str(run_dir), resume=True).fit(X, y)
new = second.n_trials_ - second.resumed_trials_
print(f"resumed: {second.resumed_trials_} trials read back, {new} new, best roc_auc {second.best_score_:.4f} "
      f"({second.best_config_['model']})")
