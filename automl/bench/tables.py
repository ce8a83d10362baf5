"""The tables every performance claim is judged by, from a bench's ``runs.jsonl``.

Scores are compared in each metric's own direction. Ranks follow the AutoML Benchmark: within
a (dataset, seed), the best system ranks 1 and a failed run takes the worst rank. The
normalised score maps rf_default to 0 and the best observed score to 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from automl.files import atomic_path
from automl.metrics import get_metric

TIE = 1e-4  # scores closer than this (relative) count as a tie


def _higher_is_better(metric: str, task: str) -> bool:
    return get_metric(metric, task).greater_is_better


def summarise(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Score table, per-system summary and automl's win/tie/loss against each other system."""
    runs = runs.copy()
    for column in ("test_score", "peak_rss_mb"):
        if column not in runs:  # every run failed
            runs[column] = np.nan
    runs["oriented"] = [s if _higher_is_better(m, t) else -s if s is not None and not pd.isna(s) else np.nan
                        for s, m, t in zip(runs["test_score"], runs["metric"], runs["task"])]
    runs.loc[runs["status"] != "ok", "oriented"] = np.nan
    key = ["dataset", "seed"]
    worst = runs.groupby(key)["system"].transform("count")
    runs["rank"] = runs.groupby(key)["oriented"].rank(ascending=False, method="average").fillna(worst)
    best = runs.groupby(key)["oriented"].transform("max")
    rf = runs[runs["system"] == "rf_default"].set_index(key)["oriented"]
    runs["normalised"] = [
        (o - rf.get((d, s), np.nan)) / (b - rf.get((d, s), np.nan)) if b != rf.get((d, s), np.nan) else np.nan
        for o, b, d, s in zip(runs["oriented"], best, runs["dataset"], runs["seed"])]

    scores = runs.pivot_table(index=["dataset", "seed", "metric"], columns="system", values="test_score",
                              aggfunc="first", dropna=False).reset_index()
    budget = runs["budget_s"].iloc[0] if len(runs) else 0
    runs["over_budget"] = runs["wall_s"] > runs["budget_s"] * 1.05 + 5
    summary = runs.groupby("system").agg(
        mean_rank=("rank", "mean"), mean_normalised=("normalised", "mean"), failed=("status", lambda s: int((s != "ok").sum())),
        wall_median_s=("wall_s", "median"), wall_max_s=("wall_s", "max"), over_budget=("over_budget", "sum"),
        peak_mb_median=("peak_rss_mb", "median"), peak_mb_max=("peak_rss_mb", "max"),
    ).sort_values("mean_rank").reset_index()
    summary.attrs["budget_s"] = budget
    searches = runs[runs["system"].isin(["automl", "random"]) & (runs["status"] == "ok")]
    search_cols = [c for c in ("dataset", "seed", "system", "trials", "optimizer_share", "best_model", "wall_s")
                   if c in searches.columns]
    searches = searches[search_cols].sort_values(["dataset", "seed", "system"]).reset_index(drop=True)
    if "trials" in searches:
        searches["trials"] = searches["trials"].astype("Int64")
    return {"scores": scores, "summary": summary, "versus": _versus(runs), "searches": searches}


def _versus(runs: pd.DataFrame, ours: str = "automl") -> pd.DataFrame:
    wide = runs.pivot_table(index=["dataset", "seed"], columns="system", values="oriented", aggfunc="first")
    rows = []
    if ours not in wide:
        return pd.DataFrame(columns=["versus", "wins", "ties", "losses"])
    for other in [c for c in wide.columns if c != ours]:
        a, b = wide[ours], wide[other]
        both = a.notna() & b.notna()
        scale = np.maximum(np.abs(b[both]), 1e-12)
        diff = (a[both] - b[both]) / scale
        wins = int((diff > TIE).sum() + (a.notna() & b.isna()).sum())
        losses = int((diff < -TIE).sum() + (a.isna() & b.notna()).sum())
        rows.append({"versus": other, "wins": wins, "ties": int(len(wide)) - wins - losses, "losses": losses})
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    def cell(value) -> str:
        if isinstance(value, (float, np.floating)):
            return "" if np.isnan(value) else f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
        return str(value)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    return "\n".join([header, rule] + ["| " + " | ".join(cell(v) for v in row) + " |"
                                       for row in frame.itertuples(index=False)])


def write_report(runs: pd.DataFrame, out: Path) -> str:
    """Write results.md and the CSV tables into ``out``; return the Markdown."""
    tables = summarise(runs)
    for name, frame in tables.items():
        with atomic_path(out / f"{name}.csv") as temporary:
            frame.to_csv(temporary, index=False)
    text = "\n\n".join([
        f"## Test score per dataset (budget {tables['summary'].attrs['budget_s']:g} s)", markdown(tables["scores"]),
        "## Systems (rank 1 = best; failed runs take the worst rank; normalised: rf_default 0, best 1)",
        markdown(tables["summary"]), "## automl against each system (win/tie/loss)", markdown(tables["versus"]),
        "## Searches: trials run and the optimizer's share of the search time", markdown(tables["searches"]),
    ])
    with atomic_path(out / "results.md") as temporary:
        temporary.write_text(text + "\n")
    return text
