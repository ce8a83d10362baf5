"""Permutation importance: how much a metric's loss grows when one column's values are shuffled.

Shuffling a column breaks its link to the target while keeping its distribution; the model is not
refit. Honest only on rows the model was not fit on: a trial's fold models on their own validation
folds (``AutoClassifier.feature_importances_``), or the final model on held-out rows
(``automl explain``). With several parts (one per fold), each part's column is shuffled within its
own rows and the loss is computed once over all of them, so a metric like AUC sees every row.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from automl.metrics import Metric

Part = tuple[Callable[[pd.DataFrame], np.ndarray], pd.DataFrame]  # (predictions of a frame, the rows it predicts)


def permutation_importance(parts: Sequence[Part], y: np.ndarray, metric: Metric, *, weights: np.ndarray | None = None,
                           n_repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per column (index): ``importance``, the mean growth of ``metric``'s loss over ``n_repeats`` shuffles
    (in the metric's units; 0 or below: the model does not use the column), and its ``std``, largest first.
    ``y`` (and ``weights``) hold the parts' rows in order."""
    rng = np.random.default_rng(seed)
    frames = [frame.copy() for _, frame in parts]

    def loss() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predictions = np.concatenate([predict(frame) for (predict, _), frame in zip(parts, frames)])
            return metric.loss(y, predictions, weights)

    base = loss()
    columns = list(frames[0].columns)
    growth = np.zeros((len(columns), n_repeats))
    for j, column in enumerate(columns):
        originals = [frame[column].copy() for frame in frames]
        for r in range(n_repeats):
            for frame, original in zip(frames, originals):
                frame[column] = original.to_numpy()[rng.permutation(len(original))]
            growth[j, r] = loss() - base
        for frame, original in zip(frames, originals):
            frame[column] = original
    table = pd.DataFrame({"importance": growth.mean(axis=1), "std": growth.std(axis=1)}, index=pd.Index(columns, name="column"))
    return table.sort_values("importance", ascending=False, kind="stable")
