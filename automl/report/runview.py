"""A finished (or running) run read back from its directory: what reports and figures are drawn from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from automl.errors import InputError
from automl.metrics import Metric, recorded_metric
from automl.records import FinalSummary, TrialRecord
from automl.run.store import read_final, read_json, read_leaderboard_extras, read_run
from automl.settings import RunSettings


@dataclass
class RunView:
    """The settings, trials, data summary, final weights and final model of one run directory."""

    path: Path
    settings: RunSettings
    trials: list[TrialRecord]
    summary: dict | None
    weights: dict[int, float] | None
    key_hyperparameters: dict[str, list[str]]
    final: FinalSummary | None = None  # None before the run's end, or for a run of an older automl

    @classmethod
    def read(cls, source) -> RunView:
        """From a run directory, or from a fitted AutoClassifier/AutoRegressor (its ``run_dir_``)."""
        if isinstance(source, RunView):
            return source
        path = Path(getattr(source, "run_dir_", source))
        settings, trials = read_run(path)
        if not trials:
            raise InputError(f"{path} holds no finished trial yet.")
        data = read_json(path / "data.json", {}) if (path / "data.json").is_file() else {}
        key, weights = read_leaderboard_extras(path)
        return cls(path, settings, trials, data.get("summary"), weights, key, read_final(path))

    @property
    def metric(self) -> Metric:
        return recorded_metric(self.settings.metric, self.settings.task)

    def frame(self) -> pd.DataFrame:
        """One row per trial in the order run: id, family, origin, loss, score (None if failed), end time."""
        metric = self.metric
        return pd.DataFrame([{"trial_id": t.trial_id, "model": t.config["model"], "origin": t.origin, "loss": t.loss,
                              "score": metric.score_from_loss(t.loss) if t.ok else None,
                              "finished_s": t.finished_s, "ok": t.ok, "status": t.status.value, "error": t.error or ""}
                             for t in self.trials])
