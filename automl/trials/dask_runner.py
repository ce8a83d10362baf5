"""Trials in parallel on dask.distributed: a local cluster of single-threaded workers, or a running scheduler.

The driver keeps SMAC and the budget; dask only runs ``evaluate`` on its workers, which get the
training data once (local workers read it from a file; a remote cluster gets it scattered). dask cannot stop a running task, so a trial
past its time limit (or cut by the end of the budget) has its worker process killed (the
nanny starts a fresh one; on a remote cluster the scheduler restarts it), and a trial whose
worker dies (a crash, or the nanny's memory limit) comes back as a failed trial: our local
cluster (``automl.trials.dask_launcher``) never retries it, so one bad configuration cannot kill
several workers. Each trial is placed on a worker running none of ours.
Every dask type stays in this module.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil
from distributed import Client
from distributed.diagnostics.plugin import WorkerPlugin

from automl.errors import InputError
from automl.records import TrialStatus
from automl.trials.dask_task import evaluate_on_worker, stop_started_processes
from automl.trials.evaluation import TrialData
from automl.trials.outcomes import TrialOutcome, at_budget_end, interrupted, past_limit, process_died
from automl.trials.resources import LEAN_MALLOC_ENV, adopt_orphans, kill_descendants

logger = logging.getLogger(__name__)

POLL_S = 0.05
START_TIMEOUT_S = 60
WORKERS_TIMEOUT_S = 1.0
CLOSE_WAIT_S = 2.0  # for restarts of remote workers at the end; one still running finishes its trial unheard


@dataclass
class _Running:
    future: Any
    deadline: float | None        # when the trial is stopped ...
    at_budget_end: bool           # ... because the budget ends (True) or its own limit is reached
    limit_s: float | None
    started: float
    worker: str | None            # the worker it was placed on
    steps: dict                   # what it evaluates, to place it again if its worker vanished first
    fraction: float = 1.0         # the share of each training fold it fits on
    placed_again: bool = False


class AdoptOrphans(WorkerPlugin):
    """On every worker of a joined cluster, restarted ones too: adopt the orphans of a trial's processes."""

    def setup(self, worker) -> None:
        adopt_orphans()


class DaskConnection:
    """A dask client, connected in a background thread: a local cluster's processes start (seconds of
    imports) while ``fit`` prepares the data and the space. ``get()`` waits for it."""

    def __init__(self, n_jobs: int, address: str | None, memory_limit_mb: float | None):
        self.address = address
        self._made: tuple[Client, Any] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._connect, args=(n_jobs, memory_limit_mb), daemon=True)
        self._thread.start()

    def _connect(self, n_jobs: int, memory_limit_mb: float | None) -> None:
        try:
            if self.address:
                self._made = (Client(self.address, timeout="30s"), None)
                return
            launcher = subprocess.Popen(  # its own session: a Ctrl-C at the terminal never reaches the cluster
                [sys.executable, "-m", "automl.trials.dask_launcher", str(n_jobs), str(memory_limit_mb or 0)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                env={**os.environ, "OMP_NUM_THREADS": "1", **LEAN_MALLOC_ENV}, start_new_session=True)
            self._made = (None, launcher)
            address = launcher.stdout.readline().strip()
            if not address:
                raise RuntimeError(f"the cluster's process exited with code {launcher.wait()}")
            client = Client(address, timeout="30s")
            self._made = (client, launcher)
            client.wait_for_workers(n_jobs, timeout=START_TIMEOUT_S)
        except Exception as exc:
            self._error = exc

    def get(self, timeout_s: float | None = None) -> tuple[Client, Any]:
        """The client and the local cluster (None when joining a scheduler); one sentence if it could not
        be started or reached (within ``timeout_s``)."""
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise InputError(f"The dask cluster was not ready within {timeout_s:.0f} s.")
        if self._error is not None:
            where = f"the dask scheduler at {self.address}" if self.address else "a local dask cluster"
            raise InputError(f"Could not start or reach {where} ({type(self._error).__name__}: {self._error}).")
        return self._made

    def close(self) -> None:
        if self._thread.is_alive():  # still starting: shut it down once started, without waiting here
            threading.Thread(target=self._close_when_started, daemon=True).start()
            return
        self._close_when_started()

    def _close_when_started(self) -> None:
        self._thread.join()
        if self._made is None:
            return
        client, launcher = self._made
        if client is not None:
            client.close()
        if launcher is not None:  # closing its stdin tells it to take the cluster down; kill what lingers
            try:
                launcher.stdin.close()
                launcher.wait(timeout=CLOSE_WAIT_S)
            except (OSError, subprocess.TimeoutExpired):
                pass
            try:
                os.killpg(launcher.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            launcher.wait()


class DaskTrials:
    """Evaluate configurations of one space on dask workers, several at once: what ``run_search``
    drives when ``slots`` > 1."""

    keep_models = False  # dask workers do not hold a trial's fold models

    def __init__(self, connection: DaskConnection, data: TrialData, to_steps: Callable[[dict], Any],
                 on_submit: Callable[[dict], None] = lambda config: None, timeout_s: float | None = None):
        self._to_steps = to_steps
        self._on_submit = on_submit
        self._connection = connection
        self._client, launcher = connection.get(timeout_s)
        self._local = launcher is not None  # our own cluster on this machine
        self.slots = max(len(self._client.scheduler_info()["workers"]), 1)
        self._local_data = data
        if self._local:  # same machine: the workers read the data from a file, once each
            self._data_file = tempfile.NamedTemporaryFile(prefix="automl-data-", suffix=".pkl", delete=False)
            pickle.dump(data, self._data_file, protocol=pickle.HIGHEST_PROTOCOL)
            self._data_file.close()
            self._data = self._data_file.name
        else:
            self._data_file = None
            self._scatter()
            try:  # what a trial starts stays its worker's descendant, so stopping the trial stops it too
                self._client.register_plugin(AdoptOrphans(), name="automl-adopt-orphans")
            except Exception as exc:
                logger.info("Could not register automl's worker plugin (%s).", exc)
        self._running: dict[int, _Running] = {}
        self._restarts: list[threading.Thread] = []
        self._restarting: set[str] = set()  # addresses of workers being restarted: never place a trial there
        self._pids: dict[str, psutil.Process] = {}  # local workers' processes, to stop a trial by killing one
        self._tickets = itertools.count()

    def submit(self, config: dict, timeout_s: float | None, limit_s: float | None, fraction: float = 1.0) -> int:
        """Start a trial; it is stopped ``timeout_s`` from now (the budget) or after ``limit_s`` (its own limit)."""
        self._on_submit(config)
        now = time.monotonic()
        steps = self._to_steps(config)
        future, worker = self._place(steps, fraction, limit_s)
        ends = [(now + timeout_s, True)] if timeout_s is not None else []
        ends += [(now + limit_s, False)] if limit_s is not None else []
        deadline, at_budget_end = min(ends) if ends else (None, False)
        ticket = next(self._tickets)
        self._running[ticket] = _Running(future, deadline, at_budget_end, limit_s, now, worker, steps, fraction)
        return ticket

    def collect_any(self, should_stop: Callable[[], bool] = lambda: False,
                    can_start: Callable[[], bool] = lambda: False) -> tuple[int, TrialOutcome] | None:
        """The first trial to finish, fail or run out of time, with its outcome; None as soon as
        ``can_start()`` (checked twice a second) says another trial could start."""
        for polls in itertools.count(1):
            if polls % 10 == 0 and can_start():
                return None
            now = time.monotonic()
            for ticket, running in list(self._running.items()):
                if running.future.done():
                    if running.future.status == "cancelled" and not running.placed_again:
                        left = None if running.limit_s is None else running.limit_s - (now - running.started)
                        running.future, running.worker = self._place(running.steps, running.fraction, left)  # worker gone
                        running.placed_again = True
                        continue
                    return ticket, self._outcome(self._running.pop(ticket))
                if running.deadline is not None and now >= running.deadline:
                    self._stop(self._running.pop(ticket))
                    stopped = at_budget_end() if running.at_budget_end else past_limit(running.limit_s)
                    return ticket, stopped.outcome(now - running.started)
            if should_stop() and self._running:
                ticket, running = self._running.popitem()
                self._stop(running)
                return ticket, interrupted().outcome(now - running.started)
            time.sleep(POLL_S)

    def cancel_all(self) -> None:
        """Stop every running trial (their workers restart)."""
        for running in self._running.values():
            self._stop(running)
        self._running.clear()

    def close(self) -> None:
        """Stop the local cluster (its processes die with their trials), or free the remote workers."""
        if not self._local:
            self.cancel_all()
            give_up = time.monotonic() + CLOSE_WAIT_S  # the budget is still running: wait a little, no more
            for thread in self._restarts:
                thread.join(timeout=max(give_up - time.monotonic(), 0))
        self._connection.close()
        if self._data_file is not None:
            os.unlink(self._data_file.name)

    def _outcome(self, running: _Running) -> TrialOutcome:
        elapsed = time.monotonic() - running.started
        try:
            return running.future.result()
        except Exception as exc:  # KilledWorker, a lost connection: the trial's worker died under it
            name = type(exc).__name__
            if running.worker is not None:  # its address may linger a moment in the list of workers
                self._restarting.add(running.worker)
                self._pids.pop(running.worker, None)
            if name == "KilledWorker":
                return process_died("the dask worker running the trial died (a crash, or over its memory "
                                    "limit)").outcome(elapsed)
            return TrialOutcome(None, elapsed, 0.0, {}, f"{name}: {exc}"[:500], status=TrialStatus.FAILED)

    def ready(self) -> bool:
        """Whether a worker is free for a trial now (none is while every worker restarts)."""
        return self._free_worker() is not None

    def _place(self, steps: dict, fraction: float, limit_s: float | None):
        """Submit the evaluation to a worker running none of our trials: a worker's death takes one trial."""
        if not isinstance(self._data, str) and self._data.status != "finished":  # every copy was lost
            self._scatter()
        worker = self._free_worker()
        if worker is not None and self._local and worker not in self._pids:  # idle: answers at once
            try:
                self._pids[worker] = psutil.Process(self._client.run(os.getpid, workers=[worker])[worker])
            except Exception:  # it died meanwhile: place the trial anywhere; a hang there costs a restart
                worker = None
        future = self._client.submit(evaluate_on_worker, steps, self._data, fraction, limit_s, pure=False,
                                     workers=[worker] if worker else None)
        return future, worker

    def _free_worker(self) -> str | None:
        """A worker running none of our trials and not being restarted."""
        busy = {running.worker for running in self._running.values()} | self._restarting
        try:  # bounded: while a worker dies the scheduler may be slow to answer; then none is free yet
            workers = self._client.ncores(callback_timeout=WORKERS_TIMEOUT_S)
        except Exception:
            return None
        return next((w for w in workers if w not in busy), None)

    def _scatter(self) -> None:
        """Copy the training data to the workers of a remote cluster; a restarted worker fetches it from another."""
        self._data = self._client.scatter(self._local_data, broadcast=True, hash=False)

    def _stop(self, running: _Running) -> None:
        """dask cannot interrupt a running task: kill the worker process that runs it (its nanny starts
        a fresh one), or on a remote cluster ask the scheduler to restart that worker, in the background."""
        key = running.future.key
        workers = [running.worker] if running.worker else \
            [address for address, keys in self._client.processing().items() if key in keys]
        running.future.cancel()
        if not workers:
            return
        self._restarting.update(workers)
        if self._local and workers[0] in self._pids:
            process = self._pids.pop(workers[0])
            if process.is_running():  # still that worker (its id was not given to another process since)
                kill_descendants(process.pid)  # what the trial started, in a session of its own too
                try:
                    process.kill()
                except psutil.Error:
                    pass
            return
        thread = threading.Thread(target=self._restart, args=(workers,), daemon=True)
        thread.start()
        self._restarts.append(thread)

    def _restart(self, workers: list[str]) -> None:
        try:  # first what the trial started (a restart kills the worker's process, not its children)
            self._client.run(stop_started_processes, workers=workers, on_error="ignore")
        except Exception as exc:
            logger.info("Could not stop the processes of a trial on %s (%s).", workers[0], exc)
        try:
            self._client.restart_workers(workers, timeout=60)
        except Exception as exc:  # the worker is gone already, or the client closed: nothing left to stop
            logger.info("Could not restart dask worker %s (%s).", workers[0], exc)
        finally:  # a restarted remote worker may come back under the same address
            self._restarting.difference_update(workers)
