"""Run trials in a separate process, so that a hang, a crash or a memory blow-up stays a failed trial.

The worker is a fresh interpreter (``automl.worker.main``), not a fork: LightGBM and XGBoost
hold OpenMP thread pools that do not survive a fork, and unlike multiprocessing's spawn it
never re-imports the user's ``__main__`` (scripts need no ``if __name__`` guard, and stdin
or notebook sessions work). It talks over a socket pair and receives the training data once
per run; each job then costs one message each way. A job that overruns its time limit gets
the process killed; the next job starts a fresh one. A healthy worker is kept idle after a
run and reused by the next one in the same interpreter (repeated fits skip its start-up).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any, Callable

from automl.evaluation import TrialData, TrialOutcome, evaluate, refit

logger = logging.getLogger(__name__)

_IDLE: dict[int | None, tuple[subprocess.Popen, Connection]] = {}  # memory limit -> an idle worker


class WorkerFailure(Exception):
    """The worker did not answer: it ran out of time, or its process died."""


def _serve(conn: Connection) -> None:
    memory_limit_mb = int(os.environ.get("AUTOML_WORKER_MEMORY_MB", "0"))
    if memory_limit_mb:
        import resource

        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    jobs: dict[str, Callable[..., Any]] = {"evaluate": evaluate, "refit": refit}
    data = None
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "data":
            data = payload
            continue
        try:
            conn.send(("ok", jobs[kind](payload, data)))
        except MemoryError:
            conn.send(("error", "MemoryError: the trial exceeded its memory limit"))
        except Exception as exc:  # report, keep serving
            conn.send(("error", f"{type(exc).__name__}: {exc}"[:500]))


class TrialWorker:
    """A child process holding one run's data: ``submit`` a job with a time limit, then ``collect``."""

    def __init__(self, data: TrialData | None, *, memory_limit_mb: int | None = None):
        self.data = data  # may be set after start(), before the first job
        self._memory_limit_mb = memory_limit_mb
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._has_data = False
        self._busy = False
        self._deadline: float | None = None
        self._timeout: float | None = None
        self._send_error: str | None = None
        self.restarts = 0

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Take an idle worker or launch a new one; returns at once (the data goes with the first job)."""
        idle = _IDLE.pop(self._memory_limit_mb, None)
        if idle is not None and idle[0].poll() is None:
            self._process, self._conn = idle
        else:
            parent, child = socket.socketpair()
            env = {**os.environ, "OMP_NUM_THREADS": "1", "AUTOML_WORKER_MEMORY_MB": str(self._memory_limit_mb or 0)}
            self._process = subprocess.Popen([sys.executable, "-c", "import automl.worker as w; w.main()",
                                              str(child.fileno())], env=env, stdin=subprocess.DEVNULL,
                                             pass_fds=(child.fileno(),))
            child.close()
            self._conn = Connection(parent.detach())
        self._has_data = False

    def run(self, kind: str, steps, timeout_s: float | None) -> Any:
        """Run ``evaluate`` or ``refit`` on the steps; raise WorkerFailure on timeout or death."""
        self.submit(kind, steps, timeout_s)
        return self.collect()

    def submit(self, kind: str, steps, timeout_s: float | None) -> None:
        """Start a job and return at once; ``collect`` waits for its answer."""
        if not self.alive:
            if self._process is not None:
                self.restarts += 1
            self.start()
        self._timeout = timeout_s
        self._deadline = None if timeout_s is None else time.monotonic() + max(timeout_s, 0.0)
        self._busy = True
        try:
            if not self._has_data:
                self._conn.send(("data", self.data))
                self._has_data = True
            self._conn.send((kind, steps))
            self._send_error = None
        except OSError:  # the process died while starting or between jobs
            self._send_error = f"ProcessError: the trial's process died (exit code {self._process.wait()})"

    def collect(self) -> Any:
        """The answer of the submitted job; WorkerFailure if it failed, timed out or its process died."""
        if self._send_error:
            self._kill()
            raise WorkerFailure(self._send_error)
        while True:
            wait = 1.0 if self._deadline is None else min(1.0, self._deadline - time.monotonic())
            if wait <= 0:
                self._kill()
                raise WorkerFailure(f"TimeoutError: the trial ran past its limit of {self._timeout:.1f} s")
            if self._conn.poll(wait):
                try:
                    status, value = self._conn.recv()
                except (EOFError, OSError):
                    break
                self._busy = False
                if status == "error":
                    raise WorkerFailure(value)
                return value
            if self._process.poll() is not None:
                break
        code = self._process.wait()
        self._kill()
        raise WorkerFailure(f"ProcessError: the trial's process died (exit code {code}), possibly out of memory")

    def close(self) -> None:
        """Keep a healthy, idle worker for the next run (its data dropped); kill anything else."""
        if self.alive and not self._busy and self._memory_limit_mb not in _IDLE:
            try:
                self._conn.send(("data", None))
                _IDLE[self._memory_limit_mb] = (self._process, self._conn)
                self._process = self._conn = None
                return
            except OSError:
                pass
        self._kill()

    def _kill(self) -> None:
        _stop(self._process, self._conn)
        self._process = self._conn = None
        self._busy = False


def _stop(process: subprocess.Popen | None, conn: Connection | None) -> None:
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(timeout=5)
    if conn is not None:
        conn.close()


@atexit.register
def _stop_idle_workers() -> None:
    while _IDLE:
        _stop(*_IDLE.popitem()[1])


class WorkerTrials:
    """Evaluate configurations of one space in a worker: what ``search.run_search`` drives."""

    def __init__(self, worker: TrialWorker, to_steps: Callable[[dict], Any]):
        self._worker = worker
        self._to_steps = to_steps
        self._started = 0.0

    def submit(self, config: dict, timeout_s: float | None) -> None:
        self._started = time.perf_counter()
        self._worker.submit("evaluate", self._to_steps(config), timeout_s)

    def collect(self) -> TrialOutcome:
        try:
            return self._worker.collect()
        except WorkerFailure as failure:
            return TrialOutcome(None, time.perf_counter() - self._started, 0.0, 0, str(failure))


def main() -> None:
    """Entry point of the worker process: serve jobs on the socket whose descriptor is argv[1]."""
    _serve(Connection(int(sys.argv[1])))
