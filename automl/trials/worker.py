"""Run trials in a separate process, so that a hang, a crash or a memory blow-up stays a failed trial.

The worker is a fresh interpreter (``automl.trials.worker.main``), not a fork: LightGBM and XGBoost
hold OpenMP thread pools that do not survive a fork, and unlike multiprocessing's spawn it
never re-imports the user's ``__main__`` (scripts need no ``if __name__`` guard, and stdin
or notebook sessions work). It talks over a socket pair and receives the training data once
per run; each job then costs one message each way. A job that overruns its time limit, or
whose process grows past the memory limit (resident memory, sampled ten times a second), gets
the process killed; the next job starts a fresh one. A healthy worker is kept idle after a
run and reused by the next one in the same interpreter (repeated fits skip its start-up).

The worker runs in its own session, so a Ctrl-C at the terminal reaches only the driver,
which decides what to stop; the worker exits by itself when the driver disappears.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from automl.trials.evaluation import TrialData, evaluate, refit
from automl.trials.outcomes import (
    TrialStopped,
    at_budget_end,
    interrupted,
    out_of_memory,
    over_memory,
    past_limit,
    process_died,
    raised,
)
from automl.trials.resources import (
    LEAN_MALLOC_ENV,
    adopt_orphans,
    kill_descendants,
    release_freed_memory,
    resident_mb,
)

logger = logging.getLogger(__name__)

_IDLE: list[tuple[subprocess.Popen, Connection, bool]] = []  # at most one idle worker, reused by the next run
MEMORY_POLL_S = 0.1
STARTUP_CAP_S = 120.0  # a worker that has not finished importing by then is taken for hung


def _serve(conn: Connection) -> None:
    warnings.simplefilter("ignore")  # trials count their warnings; nothing else may reach the terminal
    adopt_orphans()  # a trial's processes stay this worker's descendants, even in a session of their own
    _exit_with_parent()
    try:  # if memory runs out before the driver's sampling catches it, the kernel should pick this process
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        pass
    for library in ("lightgbm", "xgboost"):  # most trials need one: import before saying ready
        try:
            __import__(library)
        except ImportError:
            pass
    _send(conn, ("ready", None))
    data, fitted = None, []
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "data":
            data, fitted = payload, []
            continue
        if kind == "log":  # C++ libraries print to the process's stdout/stderr: send both to the run's log
            try:
                _redirect_output(payload)
            except OSError:
                _redirect_output(None)
            continue
        try:
            fitted = [] if kind != "save" else fitted  # fold models live until the next job, no longer
            if kind == "evaluate":
                steps, keep, fraction, limit_s, *only = payload  # only: the folds to evaluate, if not all
                answer = evaluate(steps, data, fitted if keep else None, fraction, limit_s, *only)
            elif kind == "save":  # the fold models of the last evaluated trial (of repeated folds, one repeat's)
                from automl.files import save_fitted
                from automl.trials.evaluation import first_plan

                answer = save_fitted(fitted[:first_plan(data.folds)], Path(payload))
            else:
                steps, fraction = payload
                answer = refit(steps, data, fraction)
            message = ("ok", answer)
        except MemoryError:
            message = ("error", out_of_memory())
        except Exception as exc:  # report, keep serving
            message = ("error", raised(f"{type(exc).__name__}: {exc}"[:500]))
        _send(conn, message)
        message = answer = None
        release_freed_memory()  # the trial's copies are gone: hand their memory back before the next


def _redirect_output(path: str | None) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    target = os.open(path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for fd in (1, 2):
        os.dup2(target, fd)
    os.close(target)


def _exit_with_parent() -> None:
    """A worker whose driver died (killed, say) must not run on: watch the parent once a second."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        _quit()

    threading.Thread(target=watch, daemon=True).start()


def _send(conn: Connection, message) -> None:
    try:
        conn.send(message)
    except OSError:  # the driver is gone (killed, say): nothing to answer
        _quit()
    except Exception as exc:  # the answer itself could not be sent (it would not pickle, say)
        _send(conn, ("error", raised(f"{type(exc).__name__}: {exc}"[:500])))


def _quit() -> None:
    """The driver is gone: stop every process this worker started, and exit without a word."""
    kill_descendants(os.getpid())
    os._exit(0)


class TrialWorker:
    """A child process holding one run's data: ``submit`` a job with a time limit, then ``collect``."""

    def __init__(self, data: TrialData | None, *, memory_limit_mb: float | None = None, log_path: Path | None = None):
        self.data = data  # may be set after start(), before the first job (so may log_path)
        self._memory_limit_mb = memory_limit_mb
        self.log_path = log_path
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._has_data = False
        self._busy = False
        self._deadline: float | None = None  # when the running job is killed
        self._hard_deadline: float | None = None
        self._limit: float | None = None
        self._ready = False  # the process has finished its imports and said so
        self._launched: float | None = None
        self.startup_s = 3.0  # seconds from launch to ready, as last measured
        self._polls = 0
        self._send_error: TrialStopped | None = None
        self.restarts = 0

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Take an idle worker or launch a new one; returns at once (the data goes with the first job)."""
        self._ready = False
        while _IDLE:
            process, conn, ready = _IDLE.pop()
            if process.poll() is None:
                self._process, self._conn, self._ready = process, conn, ready
                break
            _stop(process, conn)
        else:
            parent, child = socket.socketpair()
            env = {**os.environ, "OMP_NUM_THREADS": "1", **LEAN_MALLOC_ENV}
            self._launched = time.monotonic()
            self._process = subprocess.Popen([sys.executable, "-c", "import automl.trials.worker as w; w.main()",
                                              str(child.fileno())], env=env, stdin=subprocess.DEVNULL,
                                             pass_fds=(child.fileno(),), start_new_session=True)
            child.close()
            self._conn = Connection(parent.detach())
        self._has_data = False

    def run(self, kind: str, payload, timeout_s: float | None) -> Any:
        """Run ``evaluate``, ``refit`` or ``save``; raise TrialStopped on timeout, memory or death."""
        self.submit(kind, payload, timeout_s, timeout_s)
        return self.collect()

    def submit(self, kind: str, payload, timeout_s: float | None, limit_s: float | None = None) -> None:
        """Start a job and return at once; ``collect`` waits for its answer.

        The job is killed ``timeout_s`` after submission (the end of the budget) or ``limit_s``
        after the worker is ready for it, whichever comes first: a fresh process's start-up
        (seconds of imports) does not count against the job's own limit.
        """
        if not self.alive:
            if self._process is not None:
                self.restarts += 1
            self.start()
        now = time.monotonic()
        self._hard_deadline = None if timeout_s is None else now + max(timeout_s, 0.0)
        self._limit = limit_s
        self._deadline = self._hard_deadline  # until the worker is ready; with no budget, start-up gets a cap
        if self._deadline is None and limit_s is not None:
            self._deadline = now + STARTUP_CAP_S + limit_s
        if self._ready:
            self._on_ready()
        self._busy = True
        try:
            if not self._has_data:
                self._conn.send(("log", None if self.log_path is None else str(Path(self.log_path).resolve())))
                self._conn.send(("data", self.data))
                self._has_data = True
            self._conn.send((kind, payload))
            self._send_error = None
        except OSError:  # the process died while starting or between jobs
            self._send_error = process_died(f"the trial's process died (exit code {_exit_code(self._process)})")

    def _on_ready(self) -> None:
        if not self._ready and self._launched is not None:
            self.startup_s, self._launched = time.monotonic() - self._launched, None
        self._ready = True
        if self._limit is not None:
            own = time.monotonic() + self._limit
            self._deadline = own if self._hard_deadline is None else min(own, self._hard_deadline)

    def collect(self, should_stop: Callable[[], bool] = lambda: False) -> Any:
        """The answer of the submitted job; TrialStopped if it failed, ran out of time or memory, or died.

        ``should_stop()`` is checked between polls: when it turns true the job is killed
        (raising TrialStopped with the INTERRUPTED status).
        """
        if self._send_error:
            self._kill()
            raise self._send_error
        poll = MEMORY_POLL_S if self._memory_limit_mb else 0.25
        while True:
            wait = poll if self._deadline is None else min(poll, self._deadline - time.monotonic())
            if wait <= 0:
                at_end = self._deadline == self._hard_deadline
                self._kill()
                raise at_budget_end() if at_end else past_limit(self._limit)
            if self._conn.poll(wait):
                try:
                    status, value = self._conn.recv()
                except (EOFError, OSError):
                    break
                if status == "ready":
                    self._on_ready()
                    continue
                self._busy = False
                if status == "error":
                    raise value
                return value
            if self._process.poll() is not None:
                break
            if should_stop():
                self._kill()
                raise interrupted()
            self._polls += 1  # listing child processes scans /proc: once a second, the worker itself each poll
            used = resident_mb(self._process.pid, self._polls % 10 == 0) if self._memory_limit_mb else 0.0
            if self._memory_limit_mb and used > self._memory_limit_mb:
                self._kill()
                raise over_memory(used, self._memory_limit_mb)
        code = _exit_code(self._process)
        self._kill()
        raise process_died(f"the trial's process died (exit code {code}), possibly out of memory")

    def close(self) -> None:
        """Keep a healthy, idle worker for the next run (its data dropped); kill anything else."""
        if self.alive and not self._busy and not _IDLE:
            try:
                self._conn.send(("data", None))
                self._conn.send(("log", None))
                _IDLE.append((self._process, self._conn, self._ready))
                self._process = self._conn = None
                return
            except OSError:
                pass
        self._kill()

    def _kill(self) -> None:
        _stop(self._process, self._conn)
        self._process = self._conn = None
        self._busy = False


def _exit_code(process: subprocess.Popen) -> int | None:
    try:
        return process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


def _stop(process: subprocess.Popen | None, conn: Connection | None) -> None:
    """Kill the worker's whole process group (it leads its own session), so no child outlives it."""
    if process is not None and process.poll() is None:
        kill_descendants(process.pid)  # those that left its process group too
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (OSError, AttributeError):  # no process groups (Windows), or already gone
            process.kill()
        _exit_code(process)
    if conn is not None:
        conn.close()


@atexit.register
def _stop_idle_workers() -> None:
    while _IDLE:
        _stop(*_IDLE.pop()[:2])


START_DELAY_ENV = "AUTOML_WORKER_START_DELAY_S"  # a test hook: a worker that starts as slowly as on a busy machine


def main() -> None:
    """Entry point of the worker process: serve jobs on the socket whose descriptor is argv[1]."""
    time.sleep(float(os.environ.get(START_DELAY_ENV) or 0))
    _serve(Connection(int(sys.argv[1])))
