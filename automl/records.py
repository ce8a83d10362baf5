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
    projected_s: float | None = None  # stopped early, on course to pass its limit: the seconds it was heading for


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
    def seconds(self) -> float:
        """How long the configuration takes, as far as this trial tells: its wall time, or for one stopped
        after its first folds because it was on course to pass its limit, the time it was heading for."""
        return self.result.projected_s or self.finished_s - self.started_s

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


@dataclass(frozen=True)
class ScoreEstimate:
    """The final model's expected score on new rows (the metric in its usual direction), how it was
    estimated, on how many rows, and the part of it the step along the learning curve added
    (``automl.run.curve``).

    >>> str(ScoreEstimate("roc_auc", 0.8461, "nested out-of-fold", 500))
    'roc_auc = 0.8461 (nested out-of-fold)'
    """

    metric: str
    value: float
    method: str
    rows: int = 0
    step: float = 0.0

    def __str__(self) -> str:
        return f"{self.metric} = {self.value:.4f} ({self.method})"


@dataclass(frozen=True)
class FinalMember:
    """A trial in the saved model, with its weight."""

    trial_id: int
    model: str
    weight: float
    fold_models: int = 0  # not refit (no time): the trial's own fold models, averaged

    def __str__(self) -> str:
        not_refit = "" if not self.fold_models else " as validated, not refit" if self.fold_models == 1 else \
            f" from its {self.fold_models} fold models, not refit"
        return f"{self.model} {self.weight:.2f}{not_refit}"


@dataclass(frozen=True)
class FinalSummary:
    """What a fit saved: its members, heaviest first (one for a single pipeline, none for a constant
    predictor), the share of rows a single pipeline was refit on, and its estimated score. A run
    directory keeps it as ``final.json``.

    >>> members = (FinalMember(4, "lightgbm", 0.6), FinalMember(9, "ridge", 0.4))
    >>> FinalSummary(members, ScoreEstimate("rmse", 1.5, "nested out-of-fold")).line()
    'Final model: ensemble of 2 (lightgbm 0.60, ridge 0.40); estimated rmse = 1.5000 (nested out-of-fold)'
    >>> FinalSummary.from_json(FinalSummary(members, None).to_json()) == FinalSummary(members, None)
    True
    """

    members: tuple[FinalMember, ...]
    estimate: ScoreEstimate | None
    refit_fraction: float = 1.0
    SHOWN = 5  # members named in the line; the rest counted

    def line(self) -> str:
        """``Final model: <kind> (<members>); estimated <metric> = <value> (<method>)``."""
        if not self.members:
            kind = "a constant predictor (no trial could be refit: it predicts the training prior)"
        elif len(self.members) == 1:
            rows = "all rows" if self.refit_fraction >= 1 else f"{100 * self.refit_fraction:.0f}% of the rows"
            folds = self.members[0].fold_models
            how = f"refit on {rows}" if not folds else f"its {folds} fold models averaged, not refit" if folds > 1 \
                else f"its model as validated, fit on {rows}, not refit"
            kind = f"{self.members[0].model} (trial {self.members[0].trial_id}, {how})"
        else:
            named = ", ".join(str(m) for m in self.members[:self.SHOWN])
            more = f" + {len(self.members) - self.SHOWN} more" if len(self.members) > self.SHOWN else ""
            kind = f"ensemble of {len(self.members)} ({named}{more})"
        estimate = f"estimated {self.estimate}" if self.estimate else "not estimated (too few validated rows or no time left)"
        return f"Final model: {kind}; {estimate}"

    def to_json(self) -> dict[str, Any]:
        members = [{k: v for k, v in vars(m).items() if k != "fold_models" or v} for m in self.members]  # older readers
        return {"members": members, "refit_fraction": self.refit_fraction,
                "estimate": {k: v for k, v in vars(self.estimate).items() if k != "step"} if self.estimate else None,
                "estimate_step": self.estimate.step if self.estimate else 0.0}  # apart: older readers take the rest

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FinalSummary:
        estimate = data.get("estimate")
        members = [dict(m) for m in data["members"]]
        if data.get("fold_models") and len(members) == 1:  # written before members carried it
            members[0]["fold_models"] = int(data["fold_models"])
        estimate = {**estimate, "step": float(data.get("estimate_step", 0.0))} if estimate else None
        return cls(tuple(FinalMember(**m) for m in members), ScoreEstimate(**estimate) if estimate else None,
                   float(data.get("refit_fraction", 1.0)))


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
