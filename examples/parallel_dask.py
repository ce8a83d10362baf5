"""Parallel trials with dask: two local workers, then the same search on a cluster you started.

    python examples/parallel_dask.py [TIME_BUDGET_SECONDS]

`n_jobs=k` starts a local dask cluster of k single-threaded workers for the search and stops
it afterwards; `dask_address="tcp://host:port"` sends the trials to a scheduler that is already
running (for example `dask scheduler` on one machine and `dask worker tcp://HOST:8786
--nthreads 1` on each of the others). SMAC stays in this process and always has the next
configuration ready.
"""

import sys

from distributed import LocalCluster
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from automl import AutoClassifier


def main(budget: float) -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)

    local = AutoClassifier(time_budget=budget, n_jobs=2, seed=0).fit(X_train, y_train)
    side_by_side = sum(b.started_s < a.finished_s for a, b in zip(local.trials_, local.trials_[1:]))
    print(f"n_jobs=2: {local.n_trials_} trials, {side_by_side} of them started while another ran; "
          f"test {local.metric_} {local.score(X_test, y_test):.4f}")

    # Here the "cluster you started" is a LocalCluster; any scheduler address works the same way.
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        joined = AutoClassifier(time_budget=budget, dask_address=cluster.scheduler_address, seed=0)
        joined.fit(X_train, y_train)
        print(f"dask_address: {joined.n_trials_} trials on {cluster.scheduler_address}; "
              f"test {joined.metric_} {joined.score(X_test, y_test):.4f}")


if __name__ == "__main__":  # needed: a LocalCluster's worker processes import this file again
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
