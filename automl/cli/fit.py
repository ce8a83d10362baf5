"""``automl fit``: search for the best pipeline for a table and save it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from automl.cli.common import count, names, setup_logging
from automl.errors import InputError
from automl.metrics import METRIC_NAMES, check_metric_names
from automl.settings import SEARCH_METHODS, TASKS

_RESUMABLE = {  # fit option -> the estimator parameter a run directory records (reused on --resume)
    "metric": "metric", "extra_metrics": "extra_metrics", "time_budget": "time_budget", "max_trials": "max_trials",
    "seed": "seed", "search": "search", "resampling": "resampling", "include": "include", "exclude": "exclude",
    "space_dir": "search_space_dir", "trial_time_limit": "trial_time_limit", "memory_limit": "memory_limit_mb",
    "keep_models": "keep_models", "ensemble_size": "ensemble_size",
    "n_jobs": "n_jobs", "dask_address": "dask_address", "warm_start": "warm_start", "metabase": "metabase",
    "multi_fidelity": "multi_fidelity",
}
_FIDELITY = {"auto": "auto", "on": True, "off": False}


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="Name of the column to predict.")
@click.option("--sep", help="The CSV's separator (default: detected from its header: comma, semicolon, tab or pipe).")
@click.option("--task", type=click.Choice(TASKS), help="Default: inferred from the target column.")
@click.option("--metric", type=str, help=f"One of {', '.join(METRIC_NAMES)}, or any scikit-learn scorer name "
              "(sklearn.metrics.get_scorer_names(), e.g. average_precision). Default: roc_auc, log_loss or rmse.")
@click.option("--weight-column", help="A column of non-negative sample weights: every fit and every score "
              "uses them (rows of weight zero are left out); it is not a feature.")
@click.option("--group-column", help="A column naming each row's group (a patient, a store): no group is ever on "
              "both sides of a validation split; it is not a feature.")
@click.option("--time-column", help="A column of times or dates: rows are ordered by it and every split validates "
              "on later rows than it fits (TimeSeriesSplit, or the last third as holdout); it stays a feature.")
@click.option("--extra-metrics", help="Comma-separated metrics also scored for every trial (default: the usual ones).")
@click.option("--time", "time_budget", type=float, help="Wall-clock budget in seconds (default 60 unless --trials).")
@click.option("--trials", "max_trials", type=int, help="Budget as a number of trials (reproducible with --seed).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--search", type=click.Choice(SEARCH_METHODS), default="smac", show_default=True)
@click.option("--resampling", type=click.Choice(["cv", "holdout"]), help="Default: chosen from the data size.")
@click.option("--include", help="Comma-separated component names to keep (per step), e.g. lightgbm,xgboost.")
@click.option("--exclude", help="Comma-separated component names to leave out.")
@click.option("--space-dir", type=click.Path(path_type=Path), help="A folder of your own search-space YAML files.")
@click.option("--trial-time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds one trial may take (default: a quarter of the budget, "
              "at least 10).")
@click.option("--memory-limit", type=click.FloatRange(min=0, min_open=True), help="Megabytes one trial may use (default: 75% of the memory available).")
@click.option("--keep-models", type=click.IntRange(min=0), default=1, show_default=True, help="Fitted models of the best K trials kept "
              "in the run directory.")
@click.option("--ensemble-size", type=click.IntRange(min=0), default=50, show_default=True,
              help="Rounds of ensemble selection over the best trials (0: the single best pipeline).")
@click.option("--n-jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Trials run side by side on a local dask cluster of this many single-threaded workers.")
@click.option("--dask-address", help="Run the trials on the dask cluster whose scheduler listens here "
              "(tcp://host:port).")
@click.option("--warm-start", type=click.Choice(["both", "portfolio", "knn", "none"]), default="both", show_default=True,
              help="Configurations tried first, learned from earlier datasets: a greedy portfolio, the best of the "
              "nearest datasets (your remembered runs included), both, or none.")
@click.option("--metabase", type=click.Path(path_type=Path), help="The metabase file or folder warm starts read "
              "(default: the one shipped with automl).")
@click.option("--multi-fidelity", type=click.Choice(list(_FIDELITY)), default="auto", show_default=True,
              help="Successive halving over data fractions (1/9, 1/3, all of each training fold); auto: on when "
              "a training fold holds 100,000 rows or more.")
@click.option("--remember/--no-remember", default=None, help="Add this run to your own metabase when it finishes "
              "(default: only if AUTOML_REMEMBER_RUNS=1).")
@click.option("--run-dir", type=click.Path(path_type=Path), help="Where the run is recorded (default: a new folder "
              "under automl-runs/).")
@click.option("--resume", type=click.Path(path_type=Path), help="Continue the run recorded in this directory.")
@click.option("--out", type=click.Path(path_type=Path), help="Where to write the model (default: DATA's name + .skops).")
@click.option("--force", is_flag=True, help="Replace an existing model file at the default --out path.")
@click.option("--top", type=int, default=10, show_default=True, help="Leaderboard rows to print.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (no progress, leaderboard or summary).")
@click.option("-v", "--verbose", is_flag=True, help="Also log what the search does inside (SMAC, refits).")
@click.pass_context
def fit(ctx, data, target, sep, task, out, force, top, quiet, verbose, run_dir, resume, remember, weight_column,
        group_column, time_column, **options):
    """Search for the best pipeline for DATA (CSV or Parquet) and save it."""
    from automl.data import check_groups, check_weights, infer_task, read_table, split_target
    from automl.estimators import AutoClassifier, AutoRegressor
    from automl.files import check_output, copy_atomic, write_json
    from automl.report.leaderboard import not_ok, terminal_table
    from automl.run.store import check_run_dir, describe_size, new_run_dir, read_settings

    setup_logging(verbose, quiet)
    say = _silent if quiet else click.echo
    stem = Path(data.name).name.split(".")[0]  # outputs are checked before anything is read or written
    if resume and run_dir and run_dir != resume:
        raise InputError("Give either --resume RUN_DIR or --run-dir, not both.")
    settings = read_settings(resume) if resume else None
    if run_dir and not resume:
        check_run_dir(run_dir)
    recorded_out = _recorded_model_file(resume) if resume and not out else None  # a resumed run's own model file
    replace = bool(out or recorded_out) or force
    inputs = tuple(p for p in (data, options["metabase"], options["space_dir"]) if p)
    path = check_output(Path(out or recorded_out or f"{stem}.skops"), what="model file", inputs=inputs,
                        replace=replace, within=tuple(p for p in (resume, run_dir, options["space_dir"]) if p))
    if resume:
        if settings.target is not None and settings.target != target:
            raise InputError(f"Cannot resume {resume}: its run was fit on the target {settings.target!r}, not {target!r}.")
        if task is not None and task != settings.task:
            raise InputError(f"Cannot resume {resume}: its run is a {settings.task} task, not {task}.")
        recorded = settings.to_json()  # options not given again are taken from the run
        for option, param in _RESUMABLE.items():  # (a run recorded before an option existed keeps its default)
            if ctx.get_parameter_source(option) == click.core.ParameterSource.DEFAULT and param in recorded:
                options[option] = recorded[param]
        weight_column = weight_column or settings.columns.get("weight")  # so are the weight and group columns
        group_column = group_column or settings.columns.get("group")
        if settings.params.get("cv") == "time" and not time_column:
            raise InputError(f"Cannot resume {resume} without --time-column: its run validated forward in time; give "
                             "the same column again.")
    for option in ("include", "exclude", "extra_metrics"):
        if isinstance(options[option], str):
            options[option] = names(options[option]) or None
    time_budget, max_trials = options["time_budget"], options["max_trials"]
    if time_budget is not None and time_budget <= 0:
        raise InputError(f"--time must be a positive number of seconds, got {time_budget:g}.")
    if max_trials is not None and max_trials <= 0:
        raise InputError(f"--trials must be a positive integer, got {max_trials}.")
    if time_budget is None and max_trials is None:
        options["time_budget"] = time_budget = 60.0
    check_metric_names([options["metric"]] if options["metric"] else [])  # options are checked before the data is read
    check_metric_names(options["extra_metrics"] or [])
    frame = read_table(data, sep)
    if time_column:
        frame = _in_time_order(frame, time_column, target)
    weights = _pop_column(frame, weight_column, "--weight-column", target)
    groups = _pop_column(frame, group_column, "--group-column", target)
    if groups is not None:
        check_groups(groups, len(frame), what=f"--group-column {group_column!r}")
    if weights is not None:
        check_weights(weights, len(frame), what=f"--weight-column {weight_column!r}")
    X, y = split_target(frame, target)
    inferred = task is None
    task = task or infer_task(y)
    if task == "binary" and y.nunique() > 2:
        raise InputError(f"Task 'binary' was asked but the target has {y.nunique()} classes; use 'multiclass'.")
    made_run_dir = not (resume or run_dir)
    run_dir = resume or run_dir or new_run_dir(name=stem)
    estimator_class = AutoRegressor if task == "regression" else AutoClassifier
    space_dir = options.pop("space_dir")
    options["metabase"] = str(options["metabase"]) if options["metabase"] else None
    options["multi_fidelity"] = _FIDELITY.get(options["multi_fidelity"], options["multi_fidelity"])
    model = estimator_class(**{_RESUMABLE[k]: v for k, v in options.items()}, remember=remember,
                            search_space_dir=str(space_dir) if space_dir else None,
                            run_dir=str(run_dir), resume=bool(resume), verbose=0 if quiet else 1,
                            cv="time" if time_column else None)
    budget = f"{time_budget:g} s" if time_budget else count(max_trials, "trial")
    hint = " (inferred from the target; --task overrides)" if inferred else ""
    action = f"Resuming {run_dir}: fitting" if resume else "Fitting"
    say(f"{action} a {task} model{hint} on {len(X)} rows x {X.shape[1]} columns of {data.name} ({budget})...",
        err=True)
    try:
        model.fit(X, y, sample_weight=weights, groups=groups)
    except BaseException:
        if made_run_dir and Path(run_dir).is_dir() and not any(Path(run_dir).iterdir()):
            Path(run_dir).rmdir()  # the empty folder made above for a run that never began
        raise

    board = model.leaderboard_
    say(terminal_table(board, model.metric_, top))
    resumed = f", {model.resumed_trials_} of them from before" if model.resumed_trials_ else ""
    say(f"\n{count(model.n_trials_, 'trial')} ({not_ok(board['status'])}{resumed}) in {model.fit_seconds_:.1f} s, validated by "
        f"{model.resampling_}; optimizer time {100 * model.optimizer_share_:.1f}% of the search.")
    say(model.final_model_.line() + ("." if model.best_config_ is not None else ". Try a larger --time."))
    if getattr(model, "decision_threshold_", None) is not None:
        say(f"Predictions say {model.classes_[1]!r} where its probability passes {model.decision_threshold_:.3f} (not "
            f"0.5): the threshold with the best {model.metric_} on out-of-fold predictions.")
    try:
        copy_atomic(Path(model.run_dir_) / "model.skops", path, replace=replace)
    except OSError as problem:
        raise InputError(f"Could not write {path} ({problem.strerror or problem}); the model is in "
                         f"{Path(model.run_dir_) / 'model.skops'}.") from None
    write_json(Path(model.run_dir_) / OUTPUTS_FILE, {"model_file": str(path.resolve())})
    say(f"Model saved to {path} ({describe_size(path.stat().st_size)}).")
    say(f"Run directory: {model.run_dir_} ({describe_size(model.run_dir_bytes_)})")
    if model.interrupted_:
        click.echo(f"Interrupted: the search stopped early and the model is the best found so far. To go on:\n"
                   f"  automl fit {data} --target {target} --resume {model.run_dir_}", err=True)
        sys.exit(130)


def _pop_column(frame, name: str | None, option: str, target: str):
    """Take the column ``name`` out of the table (it is no feature) and return it; None without a name."""
    if name is None:
        return None
    if name == target:
        raise InputError(f"{option} {name!r} is the target; name another column.")
    if name not in frame.columns:
        raise InputError(f"{option} {name!r} is not a column of the table.")
    return frame.pop(name)


def _in_time_order(frame, name: str, target: str):
    """The table sorted by the column ``name`` (numbers, or dates and times as text), stably; one
    sentence for a column that is missing, the target, has gaps or is neither."""
    import numpy as np
    import pandas as pd

    if name == target or name not in frame.columns:
        raise InputError(f"--time-column {name!r} is {'the target' if name == target else 'not a column of the table'}.")
    values = frame[name]
    if not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce", format="mixed")
        if values.isna().all():
            raise InputError(f"--time-column {name!r} holds neither numbers nor dates (like {frame[name].iloc[0]!r}).")
    if values.isna().any():
        raise InputError(f"--time-column {name!r} has {int(values.isna().sum())} missing or unreadable value(s), like "
                         f"{frame[name][values.isna()].iloc[0]!r}; every row needs a time.")
    return frame.iloc[np.argsort(values.to_numpy(), kind="stable")].reset_index(drop=True)


def _silent(*_args, **_kwargs) -> None:
    """What --quiet prints instead of progress and results: nothing."""


OUTPUTS_FILE = "outputs.json"  # in the run directory: where `automl fit` copied its model (a resume replaces it)


def _recorded_model_file(run_dir: Path) -> Path | None:
    import json

    try:
        return Path(json.loads((Path(run_dir) / OUTPUTS_FILE).read_text())["model_file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None

