"""Issue 18, point 6: a wide, many-class table on a small budget is not lost to a few slow trials."""

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split


def test_a_wide_many_class_table_runs_many_trials_and_beats_lightgbm_s_defaults(tmp_path):
    from lightgbm import LGBMClassifier

    from automl import AutoClassifier

    # the 2,000 x 500, 8 classes (benchmarks/wide_table.py): LightGBM's defaults alone take 30 s or more on
    # these machines, a third of the 90 s budget. Below it the outcome hung on seconds: at 40 s on one LightGBM
    # trial's trees (it beat the defaults by 0.06 or lost by 0.02, and lost in CI at 0.71 when that trial did not
    # finish); at 50 and 60 s it beat them every time (0.49 to 0.53) but ran 5 or 6 trials, the search's end set by
    # the time kept back to refit that LightGBM (benchmarks/results/wide-table-40s/table.md)
    X, y = make_classification(n_samples=2_000, n_features=500, n_informative=30, n_redundant=20, n_classes=8,
                               n_clusters_per_class=1, class_sep=1.5, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    model = AutoClassifier(time_budget=90, metric="log_loss", seed=0, run_dir=str(tmp_path / "run")).fit(X_train, y_train)
    ran = [t for t in model.trials_ if t.status.value in ("ok", "timeout")]
    assert len(ran) > 5, [(t.config["model"], t.status.value) for t in model.trials_]
    lightgbm = LGBMClassifier(n_jobs=1, verbose=-1, random_state=0).fit(X_train, y_train)
    ours, theirs = log_loss(y_test, model.predict_proba(X_test)), log_loss(y_test, lightgbm.predict_proba(X_test))
    assert ours < theirs, (ours, theirs, model.final_model_.line())
    assert np.isfinite(model.estimated_score_.value)
