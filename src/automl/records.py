"""What a trial was asked and what came back, as frozen records; one ranking of trials for everyone.

A run directory's ``trials.jsonl`` holds one line per finished trial: the two records side by
side (``TrialRecord.to_json``), flat, as SMAC3 keeps ``TrialInfo`` and ``TrialValue``. This module
imports neither SMAC nor ConfigSpace: the store, the leaderboard and the report read runs with it.

>>> spec = TrialSpec({"model": "ridge"}, "smac")
>>> result = TrialResult(TrialStatus.OK, 0.25, fit_seconds=1.0)
>>> record = TrialRecord(3, spec, result)
>>> TrialRecord.from_json(record.to_json()) == record
True
>>> [t.trial_id for t in ranked([record, TrialRecord(1, spec, TrialResult(TrialStatus.OK, 0.25))])]
[1, 3]
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any


class TrialStatus(str, enum.Enum):
    """How a trial ended. Only ``OK`` has a loss; ``BUDGET_END`` is never recorded (a cut trial did
    not fail: a resumed run may run it again)."""

    OK = "ok"
    FAILED = "failed"            # the configuration raised, or predicted NaN
    TIMEOUT = "timeout"          # past its own time limit
    MEMORY = "memory"            # past its memory limit, or a MemoryError
    CRASHED = "crashed"          # its process died
    SKIPPED = "skipped"          # not run: predicted to exceed its memory or its time
    INTERRUPTED = "interrupted"  # stopped by the user (Ctrl-C)
    BUDGET_END = "budget_end"    # stopped because the run's time ran out

    @property
    def failed(self) -> bool:
        return self is not TrialStatus.OK


@dataclass(frozen=True)
class TrialSpec:
    """What a trial is asked: a configuration, where it came from, the share of each training fold
    it fits on (below 1 in a multi-fidelity search)."""

    config: dict[str, Any]
    origin: str
    fraction: float = 1.0


@dataclass(frozen=True)
class TrialResult:
    """What came back: the status, the validation loss (None unless OK), times and what was raised."""

    status: TrialStatus
    loss: float | None
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    warnings: dict[str, int] = field(default_factory=dict)  # warning category -> times raised inside
    error: str | None = None
    scores: dict[str, float] = field(default_factory=dict)  # the run's metrics, each in its usual direction
    started_s: float = 0.0   # seconds into the run (earlier sessions of a resumed run included)
    finished_s: float = 0.0


_SPEC = tuple(f.name for f in fields(TrialSpec))
_RESULT = tuple(f.name for f in fields(TrialResult))


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial: its id, what was asked and what came back."""

    trial_id: int
    spec: TrialSpec
    result: TrialResult

    config = property(lambda self: self.spec.config)
    origin = property(lambda self: self.spec.origin)
    fraction = property(lambda self: self.spec.fraction)
    status = property(lambda self: self.result.status)
    loss = property(lambda self: self.result.loss)
    fit_seconds = property(lambda self: self.result.fit_seconds)
    predict_seconds = property(lambda self: self.result.predict_seconds)
    warnings = property(lambda self: self.result.warnings)
    error = property(lambda self: self.result.error)
    scores = property(lambda self: self.result.scores)
    started_s = property(lambda self: self.result.started_s)
    finished_s = property(lambda self: self.result.finished_s)

    @property
    def ok(self) -> bool:
        return self.result.status is TrialStatus.OK

    @property
    def n_warnings(self) -> int:
        return sum(self.warnings.values())

    def to_json(self) -> dict[str, Any]:
        """The trial's line in ``trials.jsonl``: every field of both records, flat."""
        line: dict[str, Any] = {"status": self.status.value, "trial_id": self.trial_id}
        line.update((name, getattr(self.spec, name)) for name in _SPEC)
        line.update((name, getattr(self.result, name)) for name in _RESULT if name != "status")
        return line

    @classmethod
    def from_json(cls, line: dict[str, Any]) -> TrialRecord:
        """Read a line back; lines of format 1 (status ``ok`` or ``failed`` only) read the same way."""
        status = TrialStatus(line.get("status") or ("ok" if line.get("loss") is not None else "failed"))
        spec = TrialSpec(**{k: line[k] for k in _SPEC if k in line})
        result = TrialResult(status, **{k: line[k] for k in _RESULT if k in line and k != "status"})
        return cls(int(line["trial_id"]), spec, result)


def config_key(config: dict) -> tuple:
    """A configuration as a hashable key (the same for equal configurations).

    >>> config_key({"b": 1, "a": "x"}) == config_key({"a": "x", "b": 1})
    True
    """
    return tuple(sorted(config.items()))


def rank_key(trial: TrialRecord) -> tuple[float, int]:
    """How trials are ranked everywhere: lower validation loss first, the earlier trial on ties."""
    return (trial.loss, trial.trial_id)


def ranked(trials: Iterable[TrialRecord]) -> list[TrialRecord]:
    """The successful trials, best first."""
    return sorted((t for t in trials if t.ok), key=rank_key)
