"""What a running fit shows: a live panel on a terminal, one plain line per trial elsewhere.

``fit`` reports four events (the search starts, a trial starts, a trial ends, a phase such as
the ensemble begins) to a ``Progress``; which one is chosen by ``verbose`` and by whether the
output is a terminal. The panel (rich) shows elapsed and remaining time, trials done and
failed, the best score so far and its family, and the configuration being evaluated.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from automl.metrics import Metric
from automl.records import TrialRecord, TrialStatus
from automl.report.leaderboard import family_params, short_params


class Progress:
    """Shows nothing: the base for the displays below, and what ``verbose=0`` uses."""

    def __init__(self, metric: Metric, time_budget: float | None, max_trials: int | None,
                 key_hyperparameters: dict[str, list[str]] | None = None):
        self.metric = metric
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.key_hyperparameters = key_hyperparameters or {}
        self.started = time.monotonic()
        self.spent_before = 0.0  # seconds of the budget used by earlier sessions (resume)
        self.done = self.failed = self.skipped = 0
        self.best: TrialRecord | None = None
        self.current: str = ""
        self.phase_name = "search"

    def start(self, history: list[TrialRecord], spent_before: float) -> None:
        self.spent_before = spent_before
        for record in history:
            self._count(record)

    def trial_started(self, config: dict) -> None:
        self.current = self.describe(config)

    def trial_finished(self, record: TrialRecord) -> None:
        self._count(record)
        self.current = ""

    def phase(self, name: str) -> None:
        self.phase_name = name
        self.current = ""

    def stop(self) -> None:
        pass

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def describe(self, config: dict) -> str:
        """A configuration in short: family, its key hyperparameters, and its preprocessing."""
        _, shown = family_params(config, self.key_hyperparameters)
        steps = [v for s in ("preprocessor", "scaler", "encoder") if (v := config.get(s)) and not v.startswith("no_")]
        return f"{config['model']}({short_params(shown, 70)})" + (f" + {', '.join(steps)}" if steps else "")

    def elapsed(self) -> float:
        return self.spent_before + time.monotonic() - self.started

    def best_text(self) -> str:
        if self.best is None:
            return "none yet"
        return (f"{self.metric.name} {self.metric.score_from_loss(self.best.loss):.4f} "
                f"({self.best.config['model']}, trial {self.best.trial_id})")

    def budget_text(self) -> str:
        elapsed = self.elapsed()
        parts = [f"{elapsed:.0f} s elapsed"]
        if self.time_budget is not None:
            parts.append(f"{max(self.time_budget - elapsed, 0):.0f} s left")
        if self.max_trials is not None:
            parts.append(f"trial budget {self.max_trials}")
        return ", ".join(parts)

    def counts(self) -> str:
        """ "12 done, 1 failed" and, when some were, ", 3 skipped" (predicted too slow or too big: not run)."""
        return f"{self.done} done, {self.failed} failed" + (f", {self.skipped} skipped" if self.skipped else "")

    def _count(self, record: TrialRecord) -> None:
        self.done += 1
        self.skipped += record.status is TrialStatus.SKIPPED
        self.failed += not record.ok and record.status is not TrialStatus.SKIPPED
        if record.ok and (self.best is None or record.loss < self.best.loss):
            self.best = record


class LineProgress(Progress):
    """One plain line per finished trial and per phase: for logs, pipes and CI."""

    def __init__(self, *args, stream: TextIO | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stderr

    def trial_finished(self, record: TrialRecord) -> None:
        described = self.describe(record.config)
        super().trial_finished(record)
        outcome = (f"{self.metric.name} {self.metric.score_from_loss(record.loss):.4f}" if record.ok
                   else f"{'skipped' if record.status is TrialStatus.SKIPPED else 'failed'}: {record.error}")
        warm = f" | {record.origin}" if record.origin.startswith("warm start") else ""
        self._write(f"trial {record.trial_id} {described}: {outcome} | best {self.best_text()} | "
                    f"{self.counts()} | {self.budget_text()}{warm}")

    def phase(self, name: str) -> None:
        super().phase(name)
        self._write(f"{name} ({self.budget_text()})")

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


class LiveProgress(Progress):
    """A panel redrawn four times a second on a terminal (rich), gone when the fit ends."""

    def __init__(self, *args, console: Console | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.console = console or Console(stderr=True)
        self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)
        self._live.start()

    def stop(self) -> None:
        self._live.stop()

    def __rich__(self) -> Group:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_row("Time", self.budget_text())
        table.add_row("Trials", self.counts())
        table.add_row("Best", self.best_text())
        doing = self.current if self.phase_name == "search" else self.phase_name
        table.add_row("Now", Text(doing or "choosing the next configuration", overflow="ellipsis", no_wrap=True))
        return Group(table)


def make_progress(verbose: int, metric: Metric, time_budget: float | None, max_trials: int | None,
                  key_hyperparameters: dict[str, list[str]] | None = None, stream: TextIO | None = None) -> Progress:
    """Nothing for ``verbose=0``; otherwise the live panel on a terminal and plain lines elsewhere."""
    args = (metric, time_budget, max_trials, key_hyperparameters)
    if not verbose:
        return Progress(*args)
    stream = stream or sys.stderr
    if stream.isatty():
        return LiveProgress(*args, console=Console(file=stream))
    return LineProgress(*args, stream=stream)
