"""``RunSettings``: what a run was asked to do, recorded in its directory's ``settings.json``.

A run directory outlives the process that wrote it (resume, the report, the metabase read it), so
its settings carry a format number. Format 1 (before the number existed) reads the same way; a
directory of a newer format is refused in one sentence.

>>> settings = RunSettings("AutoClassifier", "binary", "roc_auc", {"seed": 0}, validation={"kind": "cv", "n_splits": 5})
>>> RunSettings.from_json(settings.to_json()) == settings
True
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from automl.errors import InputError

RUN_FORMAT = 2  # 2: trial lines carry a TrialStatus (ok, failed, timeout, memory, ...); 1: ok or failed
SEARCH_METHODS = ("smac", "random")
TASKS = ("binary", "multiclass", "regression")
MUST_MATCH = ("target", "task", "metric", "seed")  # settings whose change would make old and new losses incomparable


@dataclass(frozen=True)
class RunSettings:
    """The estimator and its parameters, the task, the metric and the validation of one run."""

    estimator: str                 # AutoClassifier or AutoRegressor
    task: str
    metric: str
    params: dict[str, Any]         # the estimator's parameters, as get_params() gave them
    target: str | None = None      # the target column's name, when it had one
    validation: dict[str, Any] | None = None  # {"kind": "cv" | "holdout", "n_splits": k}
    versions: dict[str, str] = field(default_factory=dict)
    sessions: tuple[str, ...] = ()  # when each session of the run started
    columns: dict[str, str] = field(default_factory=dict)  # "weight", "group" -> the column they came from
    format: int = RUN_FORMAT

    @property
    def seed(self) -> int:
        return self.params.get("seed", 0)

    def value(self, key: str) -> Any:
        """A setting by its name in ``settings.json`` (a parameter or one of the run's own fields)."""
        return getattr(self, key) if key in _OWN else self.params.get(key)

    def to_json(self) -> dict[str, Any]:
        """``settings.json``: the parameters at the top level (as CLI options name them), then the rest."""
        return {"format": self.format, **self.params, "task": self.task, "metric": self.metric,
                "estimator": self.estimator, "target": self.target, "versions": self.versions,
                "validation": self.validation, "sessions": list(self.sessions), "columns": self.columns}

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str = "the run directory") -> RunSettings:
        """Read ``settings.json``; a newer format or a file that is not one is refused in one sentence."""
        version = data.get("format", 1)
        if not isinstance(version, int) or version > RUN_FORMAT:
            raise InputError(f"{where} was written by a newer automl (run format {version}); upgrade automl to read it.")
        missing = [k for k in ("task", "metric") if k not in data]
        if missing:
            raise InputError(f"{where} has settings without {missing[0]!r}: it was not written by automl.")
        own = {k: data[k] for k in _OWN if k in data and k != "params"}
        own["sessions"] = tuple(own.get("sessions") or ())
        own["columns"] = dict(own.get("columns") or {})
        own.setdefault("estimator", "AutoClassifier" if data["task"] != "regression" else "AutoRegressor")
        own["format"] = version
        return cls(params={k: v for k, v in data.items() if k not in _OWN}, **own)


_OWN = {f.name for f in fields(RunSettings)}
