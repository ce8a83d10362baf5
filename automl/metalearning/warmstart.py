"""Warm starts: the configurations a search evaluates first, learned from earlier datasets.

Two mechanisms, as in auto-sklearn 2 and 1:

* a greedy **portfolio**: configurations of the metabase's pool picked one at a time so that
  the mean over its datasets of the best normalised regret so far is smallest (regret 0: the
  best pool configuration on that dataset, 1: the worst or a failure);
* the **k nearest datasets** on scaled meta-features (L1), each giving its best configuration;
  the user's own remembered runs take part here (a run on the same data is at distance 0).

``both`` (the default) takes the user's own nearby runs first, then the portfolio, then the
shipped nearest datasets, without repeats: replayed leave-one-dataset-out on the metabase
(``benchmarks/portfolio_simulation.py``), the portfolio reached a lower regret than the nearest
datasets after any number of configurations and any number of seconds.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from automl.errors import InputError
from automl.metalearning.metabase import DatasetEntry, Metabase, load_metabase, load_user_runs, shipped_path, task_kind
from automl.metalearning.metafeatures import NAMES

logger = logging.getLogger(__name__)

MODES = ("both", "portfolio", "knn", "none")
PORTFOLIO_SIZE = 16
NEIGHBOURS = 8
MAX_WARM_CONFIGS = 24
START_COST_S = 2.0   # a trial's fixed cost in the portfolio's gain-per-second (measured best of 0.5-20 s
                     # in benchmarks/portfolio_simulation.py's leave-one-out replay)
OTHER_TASK_PENALTY = 0.1  # added to the distance between a binary and a multiclass dataset (about two
                          # meta-features at opposite ends of their range; the distance is a mean over 19)


def regret_matrix(entries: list[DatasetEntry]) -> np.ndarray:
    """Datasets x pool configurations: each loss min-max normalised within its dataset; failures 1."""
    rows = []
    for entry in entries:
        losses = np.array([np.nan if v is None else v for v in entry.losses], dtype=float)
        low, high = np.nanmin(losses) if np.isfinite(losses).any() else 0.0, np.nanmax(losses) if np.isfinite(losses).any() else 1.0
        span = high - low if high > low else 1.0
        rows.append(np.where(np.isfinite(losses), (losses - low) / span, 1.0))
    return np.vstack(rows) if rows else np.zeros((0, 0))


def greedy_portfolio(regret: np.ndarray, size: int, seconds: np.ndarray | None = None) -> list[int]:
    """Pool indices chosen greedily to lower the mean over datasets of the best regret so far.

    Without ``seconds`` each step takes the configuration leaving the lowest mean regret
    (auto-sklearn 2). With ``seconds`` (each configuration's typical fit time), it takes the one
    with the largest drop in mean regret per second (plus START_COST_S, so that near-free
    configurations do not win on speed alone): a budget is wall-clock time, not a count.

    >>> greedy_portfolio(np.array([[0.0, 1.0, 0.2], [1.0, 0.0, 0.2]]), 2)
    [2, 0]
    >>> greedy_portfolio(np.array([[0.0, 1.0, 0.2], [1.0, 0.0, 0.2]]), 2, seconds=np.array([1.0, 1.0, 30.0]))
    [0, 1]
    """
    if regret.size == 0:
        return []
    chosen: list[int] = []
    best = np.ones(regret.shape[0])
    for _ in range(min(size, regret.shape[1])):
        remaining = np.minimum(best[:, None], regret).mean(axis=0)
        score = remaining if seconds is None else -(best.mean() - remaining) / (seconds + START_COST_S)
        score[chosen] = np.inf
        pick = int(np.argmin(score))
        chosen.append(pick)
        best = np.minimum(best, regret[:, pick])
        if best.max() == 0.0:
            break
    return chosen


def typical_seconds(entries: list[DatasetEntry], n: int) -> np.ndarray | None:
    """The median fit seconds of each pool configuration over the datasets, or None if unrecorded."""
    rows = [[np.nan if v is None else v for v in e.seconds] for e in entries if e.seconds is not None]
    if not rows:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a configuration that failed everywhere: all NaN
        median = np.nanmedian(np.array(rows, dtype=float).reshape(len(rows), n), axis=0)
    return np.where(np.isfinite(median), median, np.nanmax(median) if np.isfinite(median).any() else 1.0)


def nearest_datasets(entries: list[DatasetEntry], metafeatures: dict[str, float], task: str,
                     k: int) -> list[tuple[DatasetEntry, float]]:
    """The k entries closest to ``metafeatures``: mean L1 distance after min-max scaling each feature
    over the entries and the query, plus a penalty when the classification task differs."""
    if not entries:
        return []
    table = np.array([[e.metafeatures.get(n, 0.0) for n in NAMES] for e in entries], dtype=float)
    query = np.array([metafeatures.get(n, 0.0) for n in NAMES], dtype=float)
    both = np.vstack([table, query])
    span = both.max(axis=0) - both.min(axis=0)
    span[span == 0] = 1.0
    distance = (np.abs(table - query) / span).mean(axis=1)
    distance += np.array([0.0 if e.task == task else OTHER_TASK_PENALTY for e in entries])
    order = np.argsort(distance, kind="stable")[:k]
    return [(entries[i], float(distance[i])) for i in order]


def warm_start_configs(mode: str, task: str, metafeatures: dict[str, float], metabase: Metabase | None,
                       user_runs: list[DatasetEntry] = ()) -> list[tuple[dict, str]]:
    """The warm-start configurations, each with its origin (shown on the leaderboard and report)."""
    if mode == "none":
        return []
    kind = task_kind(task)
    pool = metabase.pools.get(kind, []) if metabase else []
    shipped = metabase.entries(kind) if metabase else []
    portfolio: list[tuple[dict, str]] = []
    if mode in ("both", "portfolio") and pool and shipped:
        order = greedy_portfolio(regret_matrix(shipped), PORTFOLIO_SIZE, typical_seconds(shipped, len(pool)))
        portfolio = [(pool[i], f"warm start: portfolio {rank + 1}") for rank, i in enumerate(order)]
    own: list[tuple[dict, str]] = []   # from the user's remembered runs: the most specific, first
    near: list[tuple[dict, str]] = []  # from the shipped datasets: after the portfolio (slower to pay off)
    if mode in ("both", "knn"):
        mine = [e for e in user_runs if task_kind(e.task) == kind]
        for entry, _ in nearest_datasets(shipped + mine, metafeatures, task, NEIGHBOURS):
            if entry.configs is not None:  # a remembered run gives its two best
                own += [(config, f"warm start: knn {entry.name}") for config in entry.best_configs(pool, 2)]
            else:
                near += [(config, f"warm start: knn {entry.name}") for config in entry.best_configs(pool, 1)]
    design: list[tuple[dict, str]] = []
    for config, origin in own + portfolio + near:
        if all(config != seen for seen, _ in design):
            design.append((config, origin))
    return design[:MAX_WARM_CONFIGS]


def warm_start_design(setting, task: str, metafeatures: dict[str, float],
                      metabase_path: str | Path | None) -> list[tuple[dict, str]]:
    """What the estimators' ``warm_start`` and ``metabase`` options ask for.

    ``setting`` is a mode of ``MODES``, True ("both") or False ("none"), or a list of
    configurations (from any run or dataset, adapted to this space later). ``metabase_path`` None means the shipped metabase (skipped with
    a log line when absent); the user's remembered runs always join the nearest-datasets search.
    """
    if isinstance(setting, bool):  # scikit-learn's sense of the word: True is the default, False none
        setting = "both" if setting else "none"
    if not isinstance(setting, str):
        return [(dict(config), f"warm start: given {i}") for i, config in enumerate(setting)]
    if setting == "none":
        return []
    path = shipped_path() if metabase_path is None else Path(metabase_path)
    if metabase_path is None and not path.exists():
        logger.info("No shipped metabase at %s: warm starts use your own runs only.", path)
        metabase = None
    else:
        metabase = load_metabase(path)
    design = warm_start_configs(setting, task, metafeatures, metabase, load_user_runs())
    logger.info("Warm start (%s): %d configuration(s) first.", setting, len(design))
    return design


def check_warm_start(setting) -> None:
    """One sentence when ``warm_start`` is neither a mode nor a list of configuration dicts."""
    if isinstance(setting, bool):
        return
    if isinstance(setting, str):
        if setting not in MODES:
            raise InputError(f"Unknown warm_start {setting!r}; choose one of {', '.join(MODES)}, or give a list of configurations.")
        return
    if not isinstance(setting, (list, tuple)) or not all(isinstance(c, dict) and "model" in c for c in setting):
        raise InputError("warm_start must be one of both, portfolio, knn, none, or a list of configuration "
                         f"dicts each with a 'model', got {setting!r:.80}.")
