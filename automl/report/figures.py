"""The figures of a run, as matplotlib Figures: what the HTML report embeds, for use in notebooks too.

Each function takes a run directory, a fitted AutoClassifier/AutoRegressor or a ``RunView``.
Figures are built with matplotlib's object API (no pyplot), so drawing one never changes the
caller's backend or current figure.

    >>> from automl import figures
    >>> figures.search_history(model).savefig("history.png")   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from automl.report.importance import hyperparameter_importance
from automl.report.runview import RunView

ORIGIN_MARKERS = {"initial design": ("s", "initial design"), "warm start": ("D", "warm start"), "smac": ("o", "SMAC"),
                  "random": ("^", "random search")}


def search_history(run) -> Figure:
    """Best validation score so far against time and against trial number; each trial a dot,
    marked by where it came from (the initial design and warm starts first)."""
    view = RunView.read(run)
    frame = view.frame()
    higher = view.metric.greater_is_better
    best = frame["score"].cummax() if higher else frame["score"].cummin()
    best = best.ffill()
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    for axis, x, label in zip(figure.subplots(1, 2), (frame["finished_s"], frame.index + 1),
                              ("seconds since the run started", "trial")):
        axis.step(x, best, where="post", color="black", label="best so far")
        kinds = frame["origin"].str.split(":").str[0]  # "warm start: knn credit_approval" -> "warm start"
        for origin, group in frame[frame["ok"]].groupby(kinds[frame["ok"]]):
            marker, name = ORIGIN_MARKERS.get(origin, ("x", origin))
            axis.scatter(x[group.index], group["score"], marker=marker, alpha=0.6, label=name)
        for status, color in (("failed", "red"), ("skipped", "grey")):  # skipped: never ran (predicted too slow)
            failed = frame[(~frame["ok"]) & ((frame["status"] == "skipped") == (status == "skipped"))]
            if len(failed):
                axis.scatter(x[failed.index], [best.min() if higher else best.max()] * len(failed), marker="x",
                             color=color, label=status)
        axis.set_xlabel(label)
        axis.set_ylabel(f"validation {view.metric.name}")
        axis.grid(alpha=0.3)
    axis.legend(loc="best", fontsize="small")
    return figure


def score_by_family(run) -> Figure:
    """Validation scores of the successful trials of each model family, best family first."""
    view = RunView.read(run)
    frame = view.frame()
    frame = frame[frame["ok"]]
    order = frame.groupby("model")["score"].agg("max" if view.metric.greater_is_better else "min")
    order = order.sort_values(ascending=not view.metric.greater_is_better).index.tolist()
    figure = Figure(figsize=(8, 0.5 + 0.45 * max(len(order), 1)), layout="constrained")
    axis = figure.subplots()
    for row, family in enumerate(order):
        scores = frame.loc[frame["model"] == family, "score"]
        axis.scatter(scores, np.full(len(scores), row) + np.linspace(-0.15, 0.15, len(scores)), alpha=0.7)
    axis.set_yticks(range(len(order)), order)
    axis.invert_yaxis()
    axis.set_xlabel(f"validation {view.metric.name} (each dot a trial)")
    axis.grid(axis="x", alpha=0.3)
    return figure


def hyperparameter_importance_figure(run, top: int = 12) -> Figure:
    """The share of the loss's variance each hyperparameter explains alone (see ``automl.report.importance``)."""
    view = RunView.read(run)
    ok = [t for t in view.trials if t.ok]
    shares = hyperparameter_importance([t.config for t in ok], [t.loss for t in ok]).head(top)
    figure = Figure(figsize=(8, 0.6 + 0.35 * max(len(shares), 2)), layout="constrained")
    axis = figure.subplots()
    if shares.empty:
        axis.text(0.5, 0.5, f"too few successful trials ({len(ok)}) to estimate importance", ha="center")
        axis.set_axis_off()
        return figure
    axis.barh(shares.index[::-1], shares.to_numpy()[::-1].clip(0, 1))
    axis.set_xlabel("share of the surrogate's variance explained alone (main effect)")
    axis.grid(axis="x", alpha=0.3)
    return figure


def ensemble_weights(run) -> Figure:
    """The final model's members and their weights."""
    view = RunView.read(run)
    by_id = {t.trial_id: t for t in view.trials}
    weights = sorted((view.weights or {}).items(), key=lambda item: -item[1])
    figure = Figure(figsize=(8, 0.6 + 0.35 * max(len(weights), 2)), layout="constrained")
    axis = figure.subplots()
    if not weights:
        axis.text(0.5, 0.5, "no final model recorded yet", ha="center")
        axis.set_axis_off()
        return figure
    labels = [f"trial {i} {by_id[i].config['model']}" if i in by_id else f"trial {i}" for i, _ in weights]
    axis.barh(labels[::-1], [w for _, w in weights][::-1])
    axis.set_xlabel("weight in the final model")
    return figure


def target_distribution(run) -> Figure:
    """Class counts, or a histogram of the target, as recorded when the run started."""
    view = RunView.read(run)
    target = (view.summary or {}).get("target")
    figure = Figure(figsize=(6, 3), layout="constrained")
    axis = figure.subplots()
    if not target:
        axis.text(0.5, 0.5, "this run recorded no data summary", ha="center")
        axis.set_axis_off()
    elif target["kind"] == "classes":
        axis.bar(list(target["counts"]), list(target["counts"].values()))
        axis.set_ylabel("rows")
        axis.tick_params(axis="x", labelrotation=45 if len(target["counts"]) > 6 else 0)
    else:
        edges = np.asarray(target["edges"])
        axis.bar(edges[:-1], target["counts"], width=np.diff(edges), align="edge")
        axis.set_ylabel("rows")
    axis.set_xlabel(view.settings.target or "target")
    return figure


def feature_importance(model, X: pd.DataFrame, y, n_repeats: int = 5, seed: int = 0, top: int = 15) -> Figure:
    """Permutation importance of a fitted model on held-out rows: how much the run's metric worsens
    when one column's values are shuffled (mean and spread over ``n_repeats`` shuffles)."""
    from automl.report.explain import held_out_importance

    table = held_out_importance(model, X, y, n_repeats=n_repeats, seed=seed)
    frame = table.rename(columns={"importance": "mean"}).head(top)
    figure = Figure(figsize=(8, 0.6 + 0.35 * max(len(frame), 2)), layout="constrained")
    axis = figure.subplots()
    axis.barh(frame.index[::-1], frame["mean"][::-1], xerr=frame["std"][::-1])
    axis.set_xlabel(f"growth of the {model.metric_} loss when the column is shuffled (held-out rows)")
    axis.grid(axis="x", alpha=0.3)
    return figure
