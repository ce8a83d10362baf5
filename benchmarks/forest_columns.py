"""How does a forest's fit time shrink with the share of columns each split tries (max_features)?

The cost model (automl/search/cost.py, COLUMN_FIXED) takes a tree's work as affine in that share: a
fixed part plus the rest in proportion. Prints, for scikit-learn's random forest and extra trees on
a generated 1,500 x 300, 4-class table (50 trees, one core), the fit seconds at each share, their
ratio to all columns, and the ratio an affine term with a fixed part of 0.04 predicts.

    OMP_NUM_THREADS=1 python benchmarks/forest_columns.py
"""

import time

from sklearn.datasets import make_classification
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

FIXED = 0.04

X, y = make_classification(1500, 300, n_informative=30, n_classes=4, random_state=0)
print("| model | share | seconds | ratio | affine |")
print("|---|---|---|---|---|")
for cls in (RandomForestClassifier, ExtraTreesClassifier):
    base = None
    for share in (1.0, 0.3, 0.1, 0.03):
        started = time.perf_counter()
        cls(n_estimators=50, max_features=share, n_jobs=1, random_state=0).fit(X, y)
        seconds = time.perf_counter() - started
        base = base or seconds
        print(f"| {cls.__name__} | {share} | {seconds:.2f} | {seconds / base:.3f} | {FIXED + (1 - FIXED) * share:.3f} |")
