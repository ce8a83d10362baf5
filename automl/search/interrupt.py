"""A first Ctrl-C asks the search to stop at a safe point; a second one interrupts as usual."""

from __future__ import annotations

import signal
import threading


class StopOnCtrlC:
    """While active, the first Ctrl-C (SIGINT) sets ``requested``; a second one raises KeyboardInterrupt."""

    def __init__(self):
        self.requested = False
        self._installed = False
        self._previous = None

    def __enter__(self) -> StopOnCtrlC:
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signum, frame) -> None:  # sets a flag only: the loop logs and stops at a safe point
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)
