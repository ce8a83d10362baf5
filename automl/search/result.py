"""What a search produced: its trials, the out-of-fold predictions kept for the ensemble, its times."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from automl.records import TrialRecord, rank_key, ranked

KEEP_PREDICTIONS = 50        # out-of-fold predictions held for the ensemble: of the 50 best trials ...
KEEP_PREDICTIONS_MB = 100    # ... or as many as fit in this many MB (a million binary rows: 13 trials) ...
MIN_KEEP_PREDICTIONS = 5     # ... but never fewer than 5


@dataclass
class SearchResult:
    trials: list[TrialRecord] = field(default_factory=list)
    predictions: dict[int, np.ndarray] = field(default_factory=dict)  # out-of-fold, best trials only
    optimizer_seconds: float = 0.0
    wall_seconds: float = 0.0
    stop_reason: str = ""
    resumed_trials: int = 0  # finished in an earlier session and read back, not re-run
    skipped: int = 0  # configurations not run: predicted to exceed their memory limit or their time
    shrunk: int = 0   # configurations run smaller instead of one skipped or timed out (CostModel.shrink)

    @property
    def interrupted(self) -> bool:
        return self.stop_reason == "interrupted"

    @property
    def best(self) -> TrialRecord | None:
        done = ranked(self.trials)
        return done[0] if done else None

    @property
    def optimizer_share(self) -> float:
        return self.optimizer_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


def keep_best_predictions(result: SearchResult) -> None:
    """Hold the out-of-fold predictions of the KEEP_PREDICTIONS best trials only, and on a large
    table fewer: as many as fit in KEEP_PREDICTIONS_MB (but at least MIN_KEEP_PREDICTIONS)."""
    each = max(next(iter(result.predictions.values())).nbytes, 1) if result.predictions else 1
    keep = max(MIN_KEEP_PREDICTIONS, min(KEEP_PREDICTIONS, KEEP_PREDICTIONS_MB * 2**20 // each))
    if len(result.predictions) <= keep:
        return
    held = sorted((t for t in result.trials if t.trial_id in result.predictions), key=rank_key)
    for trial in held[keep:]:
        del result.predictions[trial.trial_id]
