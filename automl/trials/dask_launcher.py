"""A private local dask cluster in its own process and session, for ``n_jobs`` > 1.

    python -m automl.trials.dask_launcher N_WORKERS MEMORY_LIMIT_MB

Started by the driver with ``start_new_session``: a Ctrl-C at the terminal reaches the driver
only (which stops its trials and keeps the best model), never the scheduler or the workers.
It prints the scheduler's address on one line, then lives until its stdin closes (the driver
is done, or died) and takes the cluster down with it. Its worker processes are spawned from
this module, never from the user's script: no ``if __name__ == "__main__"`` guard needed.
"""

from __future__ import annotations

import os
import sys

SETTINGS = {  # the cluster runs whole trials, not dask collections: no retries, no spilling, quiet
    "distributed.scheduler.allowed-failures": 0,
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": 0.95,
    "logging.distributed": "error",
    "distributed.worker.multiprocessing-method": "forkserver",
}
PRELOAD = ("automl.trials.evaluation", "automl.trials.dask_task", "lightgbm", "xgboost")  # imported as each worker starts, not in its first trial


def main() -> None:
    n_workers, memory_mb = int(sys.argv[1]), float(sys.argv[2])
    import dask

    dask.config.set(SETTINGS)
    from distributed import LocalCluster
    from distributed.utils import get_mp_context

    # workers fork from a server that imported the libraries once: a worker killed with its trial is
    # back in a fraction of a second, not after seconds of imports (longer on a busy machine)
    get_mp_context().set_forkserver_preload(["distributed", *PRELOAD])

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           memory_limit=f"{memory_mb:.0f}MB" if memory_mb > 0 else "0", preload=list(PRELOAD),
                           silence_logs=40, scheduler_kwargs={"dashboard_address": ":0"})  # health server: a free port
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()  # returns when the driver closes the pipe or dies
    cluster.close(timeout=10)
    os._exit(0)


if __name__ == "__main__":
    main()
