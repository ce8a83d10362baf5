"""The leaderboard: one row per trial, best first, failures last with their reason."""

from __future__ import annotations

import pandas as pd

from automl.metrics import Metric

STEP_COLUMNS = ("model", "encoder", "scaler", "preprocessor", "imputer")


def leaderboard(trials, metric: Metric, key_hyperparameters: dict[str, list[str]] | None = None,
                weights: dict[int, float] | None = None) -> pd.DataFrame:
    """A DataFrame of trials sorted by validation loss: the run's metric and the others scored alongside,
    in their usual direction, and the warnings each trial raised.

    ``key_hyperparameters`` (family -> names, from the YAML files) picks the ones shown in short;
    every hyperparameter of the family stays in the ``hyperparameters`` column. ``weights`` (trial id ->
    weight in the final model) fills ``ensemble_weight``; without them (no final model yet) it is empty.
    """
    key_hyperparameters = key_hyperparameters or {}
    rows, others = [], []
    for t in trials:
        others += [name for name in t.scores if name != metric.name and name not in others]
        params, key_params = family_params(t.config, key_hyperparameters)
        rows.append({
            "trial_id": t.trial_id,
            **{step: t.config.get(step, "") for step in STEP_COLUMNS},
            "loss": t.loss,
            metric.name: metric.score_from_loss(t.loss) if t.ok else None,
            **{name: t.scores.get(name) for name in others},
            "fit_seconds": round(t.fit_seconds, 3),
            "fraction": round(t.fraction, 4),
            "ensemble_weight": None if weights is None else round(weights.get(t.trial_id, 0.0), 4),
            "warnings": t.n_warnings,
            "status": t.status.value,  # ok, failed, timeout, memory, crashed, skipped, interrupted
            "origin": t.origin,
            "key_hyperparameters": key_params,
            "hyperparameters": params,
            "error": t.error or "",
        })
    frame = pd.DataFrame(rows, columns=["trial_id", *STEP_COLUMNS, "loss", metric.name, *others, "fit_seconds", "fraction", "ensemble_weight",
                                        "warnings", "status", "origin", "key_hyperparameters", "hyperparameters", "error"])
    frame = frame.sort_values(["loss", "trial_id"], na_position="last", kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


def not_ok(statuses: pd.Series) -> str:
    """The trials that did not give a score, by why: "2 failed, 6 skipped" (skipped: predicted to need more
    time or memory than they had, never run), "0 failed" when every one gave a score."""
    skipped = int((statuses == "skipped").sum())
    failed = int((~statuses.isin(("ok", "skipped"))).sum())
    return f"{failed} failed" + (f", {skipped} skipped" if skipped else "")


def terminal_table(board: pd.DataFrame, metric_name: str, top: int | None = None, width: int = 60) -> str:
    """The leaderboard as text for a terminal: the steps, the key hyperparameters in short, the
    metric, fit time, warnings, status and (cut to ``width``) the error of failed trials."""
    shown = board.head(top) if top else board
    columns = ["rank", "trial_id", "model", "encoder", "scaler", "preprocessor", metric_name, "fit_seconds",
               "ensemble_weight", "warnings", "status"]
    if "fraction" in shown and (shown["fraction"] < 1).any():  # a multi-fidelity run: which share each trial saw
        columns.insert(columns.index("fit_seconds") + 1, "fraction")
    table = shown[[c for c in columns if c in shown]].copy()
    table["key hyperparameters"] = [short_params(params, width) for params in shown["key_hyperparameters"]]
    table["error"] = [e if len(e) <= width else e[: width - 3] + "..." for e in shown["error"]]
    return table.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="")


def family_params(config: dict, key_hyperparameters: dict[str, list[str]]) -> tuple[dict, dict]:
    """The model family's hyperparameters in a configuration, all of them and the key ones
    (all when the family names none)."""
    model = config["model"]
    params = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{model}:")}
    key = key_hyperparameters.get(model)
    return params, ({k: params[k] for k in key if k in params} if key else params)


def short_params(params: dict, width: int) -> str:
    """``name=value, ...`` with floats to 3 significant digits, cut to ``width`` characters."""
    text = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    return text if len(text) <= width else text[: width - 3] + "..."
