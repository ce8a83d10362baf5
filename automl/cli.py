"""The ``automl`` command line: fit and predict. User-facing output lives here and only here."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import click
import pandas as pd

from automl.data import TASKS, infer_task, read_table, split_target
from automl.errors import InputError
from automl.metrics import METRIC_NAMES
from automl.search import SEARCH_METHODS



class _Group(click.Group):
    """Turns every InputError into one 'Error: ...' line and exit status 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug of ours: still one line, with a way to see the traceback
            if os.environ.get("AUTOML_DEBUG"):
                raise
            click.echo(f"Error: automl failed unexpectedly ({type(exc).__name__}: {exc}); "
                       "set AUTOML_DEBUG=1 to see the traceback and please report it.", err=True)
            sys.exit(1)


class _WarningLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        click.echo(f"{prefix}{record.getMessage()}", err=True)


def _setup_logging(verbose: bool) -> None:
    logger = logging.getLogger("automl")
    logger.handlers = [_WarningLines()]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in value.split(",") if n.strip()) if value else ()


@click.group(cls=_Group)
@click.version_option(package_name="automl")
def main() -> None:
    """AutoML for tabular data: a CASH search over scikit-learn, LightGBM and XGBoost pipelines."""


_RESUMABLE = {  # fit option -> the estimator parameter a run directory records (reused on --resume)
    "metric": "metric", "extra_metrics": "extra_metrics", "time_budget": "time_budget", "max_trials": "max_trials",
    "seed": "seed", "search": "search", "resampling": "resampling", "include": "include", "exclude": "exclude",
    "space_dir": "search_space_dir", "trial_time_limit": "trial_time_limit", "memory_limit": "memory_limit_mb",
    "keep_models": "keep_models", "ensemble_size": "ensemble_size",
    "n_jobs": "n_jobs", "dask_address": "dask_address", "warm_start": "warm_start", "metabase": "metabase",
    "multi_fidelity": "multi_fidelity",
}
_FIDELITY = {"auto": "auto", "on": True, "off": False}


@main.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="Name of the column to predict.")
@click.option("--task", type=click.Choice(TASKS), help="Default: inferred from the target column.")
@click.option("--metric", type=str, help=f"One of {', '.join(METRIC_NAMES)}. Default: roc_auc, log_loss or rmse.")
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
@click.option("--top", type=int, default=10, show_default=True, help="Leaderboard rows to print.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display (a live panel on a terminal, else a line "
              "per trial).")
@click.option("-v", "--verbose", is_flag=True, help="Also log what the search does inside (SMAC, refits).")
@click.pass_context
def fit(ctx, data, target, task, out, top, quiet, verbose, run_dir, resume, remember, **options):
    """Search for the best pipeline for DATA (CSV or Parquet) and save it."""
    from automl.estimators import AutoClassifier, AutoRegressor
    from automl.leaderboard import terminal_table
    from automl.runstore import describe_size, new_run_dir, read_settings

    _setup_logging(verbose)
    if resume:
        if run_dir and run_dir != resume:
            raise InputError("Give either --resume RUN_DIR or --run-dir, not both.")
        recorded = read_settings(resume)  # options not given again are taken from the run
        for option, param in _RESUMABLE.items():  # (a run recorded before an option existed keeps its default)
            if ctx.get_parameter_source(option) == click.core.ParameterSource.DEFAULT and param in recorded:
                options[option] = recorded[param]
    for option in ("include", "exclude", "extra_metrics"):
        if isinstance(options[option], str):
            options[option] = _names(options[option]) or None
    time_budget, max_trials = options["time_budget"], options["max_trials"]
    if time_budget is not None and time_budget <= 0:
        raise InputError(f"--time must be a positive number of seconds, got {time_budget:g}.")
    if max_trials is not None and max_trials <= 0:
        raise InputError(f"--trials must be a positive integer, got {max_trials}.")
    if time_budget is None and max_trials is None:
        options["time_budget"] = time_budget = 60.0
    frame = read_table(data)
    X, y = split_target(frame, target)
    inferred = task is None
    task = task or infer_task(y)
    if task == "binary" and y.nunique() > 2:
        raise InputError(f"Task 'binary' was asked but the target has {y.nunique()} classes; use 'multiclass'.")
    stem = Path(data.name).name.split(".")[0]
    run_dir = resume or run_dir or new_run_dir(name=stem)
    estimator_class = AutoRegressor if task == "regression" else AutoClassifier
    space_dir = options.pop("space_dir")
    options["metabase"] = str(options["metabase"]) if options["metabase"] else None
    options["multi_fidelity"] = _FIDELITY.get(options["multi_fidelity"], options["multi_fidelity"])
    model = estimator_class(**{_RESUMABLE[k]: v for k, v in options.items()}, remember=remember,
                            search_space_dir=str(space_dir) if space_dir else None,
                            run_dir=str(run_dir), resume=bool(resume), verbose=0 if quiet else 1)
    budget = f"{time_budget:g} s" if time_budget else f"{max_trials} trials"
    hint = " (inferred from the target; --task overrides)" if inferred else ""
    action = f"Resuming {run_dir}: fitting" if resume else "Fitting"
    click.echo(f"{action} a {task} model{hint} on {len(X)} rows x {X.shape[1]} columns of {data.name} ({budget})...",
               err=True)
    model.fit(X, y)

    board = model.leaderboard_
    click.echo(terminal_table(board, model.metric_, top))
    n_failed = int((board["status"] == "failed").sum())
    resumed = f", {model.resumed_trials_} of them from before" if model.resumed_trials_ else ""
    click.echo(f"\n{model.n_trials_} trials ({n_failed} failed{resumed}) in {model.fit_seconds_:.1f} s, validated by "
               f"{model.resampling_}; optimizer time {100 * model.optimizer_share_:.1f}% of the search.")
    if model.best_config_ is None:
        click.echo("No trial succeeded: the saved model predicts the training prior. Try a larger --time.")
    else:
        click.echo(f"Best: {model.best_config_['model']} with validation {model.metric_} = {model.best_score_:.4f}.")
    path = Path(out or f"{stem}.skops")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(model.run_dir_) / "model.skops", path)
    click.echo(f"Model saved to {path} ({describe_size(path.stat().st_size)}).")
    click.echo(f"Run directory: {model.run_dir_} ({describe_size(model.run_dir_bytes_)})")
    if model.interrupted_:
        click.echo(f"Interrupted: the search stopped early and the model is the best found so far. To go on:\n"
                   f"  automl fit {data} --target {target} --resume {model.run_dir_}", err=True)
        sys.exit(130)


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="CSV file to write (default: print).")
@click.option("--proba", is_flag=True, help="Write class probabilities instead of labels.")
def predict(model_path, data, output, proba):
    """Predict every row of DATA with a model written by `automl fit`."""
    from automl.modelfile import load_model

    _setup_logging(False)
    model = load_model(model_path)
    frame = read_table(data)
    if proba:
        if not hasattr(model, "classes_"):
            raise InputError("--proba needs a classification model, but this model does regression.")
        values = model.predict_proba(frame)
        result = pd.DataFrame(values, columns=[f"proba_{c}" for c in model.classes_])
    else:
        result = pd.DataFrame({"prediction": model.predict(frame)})
    if output:
        result.to_csv(output, index=False)
        click.echo(f"Wrote {len(result)} predictions to {output}", err=True)
    else:
        click.echo(result.to_csv(index=False), nl=False)


@main.command()
@click.argument("source", metavar="RUN_DIR_OR_MODEL", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The .skops file to write.")
def export(source, out):
    """Write the final model as plain scikit-learn objects: deploying it needs no automl.

    Load it with skops.io.load(FILE, trusted=skops.io.get_untrusted_types(file=FILE)) after
    checking the listed types; predict on a DataFrame of the training columns.
    """
    from automl.export import export_model
    from automl.runstore import describe_size

    _setup_logging(False)
    path = export_model(source, out)
    click.echo(f"Exported to {path} ({describe_size(path.stat().st_size)}): plain scikit-learn, "
               f"loadable without automl.")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="HTML file to write (default: RUN_DIR/report.html).")
@click.option("--data", "held_out", type=click.Path(path_type=Path), help="Held-out rows (CSV or Parquet, with "
              "the target) for the permutation importance of the final model's features.")
@click.option("--target", help="The target column of --data (default: the one the run was fit on).")
def report(run_dir, out, held_out, target):
    """Write one self-contained HTML report of the run in RUN_DIR: data, search, final model, failures."""
    from automl.report import write_report
    from automl.runstore import read_settings

    _setup_logging(False)
    settings = read_settings(run_dir)
    pair = None
    if held_out is not None:
        target = target or settings.get("target")
        if not target:
            raise InputError("The run did not record its target column's name; give --target with --data.")
        pair = split_target(read_table(held_out), target)
    path = write_report(run_dir, out or Path(run_dir) / "report.html", pair)
    click.echo(f"Report written to {path}")


@main.command("leaderboard")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--top", type=click.IntRange(min=1), help="Rows to show (default: every trial).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Also write the whole table, every "
              "hyperparameter and metric included, to this CSV file.")
def leaderboard_command(run_dir, top, csv_path):
    """Show the trials of the run recorded in RUN_DIR, best first (it may still be running)."""
    from automl.leaderboard import leaderboard, terminal_table
    from automl.metrics import get_metric
    from automl.runstore import read_leaderboard_extras, read_run

    _setup_logging(False)
    settings, trials = read_run(run_dir)
    if not trials:
        raise InputError(f"{run_dir} holds no finished trial yet.")
    metric = get_metric(settings["metric"], settings["task"])
    board = leaderboard(trials, metric, *read_leaderboard_extras(run_dir))
    click.echo(terminal_table(board, metric.name, top))
    n_failed = int((board["status"] == "failed").sum())
    click.echo(f"\n{len(board)} trials ({n_failed} failed); {settings['task']} task, metric {metric.name}.")
    if csv_path:
        params = pd.DataFrame(list(board["hyperparameters"]), index=board.index).add_prefix("hp:")
        board.drop(columns=["key_hyperparameters", "hyperparameters"]).join(params).to_csv(csv_path, index=False)
        click.echo(f"Wrote {len(board)} rows to {csv_path}", err=True)


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--time", "budget", type=float, default=60.0, show_default=True, help="Seconds per run.")
@click.option("--seeds", default="0", show_default=True, help="Comma-separated split seeds.")
@click.option("--systems", default="automl,random,lgbm_default,xgb_default,rf_default,logreg,dummy", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench-out"), show_default=True)
@click.option("--jobs", type=int, default=1, show_default=True, help="Runs in parallel (each is its own process).")
@click.option("--target", help="Target column, when SOURCE is a folder of CSV/Parquet files.")
@click.option("--metric", help="Override the default metrics (roc_auc, log_loss, rmse).")
@click.option("--only", help="Comma-separated dataset names to run.")
def bench(source, budget, seeds, systems, out, jobs, target, metric, only):
    """Run automl and honest baselines over SOURCE (a manifest CSV or a folder) and write result tables."""
    from automl.bench import load_datasets, run_bench, runs_frame
    from automl.bench_report import write_report

    _setup_logging(False)
    if budget <= 0:
        raise InputError(f"--time must be a positive number of seconds, got {budget:g}.")
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}.")
    try:
        seed_list = tuple(int(s) for s in _names(seeds))
    except ValueError:
        raise InputError(f"--seeds must be comma-separated integers, got {seeds!r}.") from None
    datasets = load_datasets(source, target, _names(only))
    runs_file = run_bench(datasets, systems=_names(systems), seeds=seed_list, budget_s=budget, out=out,
                          metric=metric, jobs=jobs, progress=lambda line: click.echo(line, err=True))
    click.echo(write_report(runs_frame(runs_file), out))
    click.echo(f"\nTables written to {out}/results.md, scores.csv, summary.csv and versus.csv")


from automl.cli_metabase import metabase  # noqa: E402  (its commands use this module's group and helpers)

main.add_command(metabase)

if __name__ == "__main__":
    main()
