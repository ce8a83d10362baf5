"""The ``automl`` command line: fit and predict. User-facing output lives here and only here."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
import pandas as pd

from automl.data import TASKS, infer_task, read_table, split_target
from automl.errors import InputError
from automl.metrics import METRIC_NAMES
from automl.search import SEARCH_METHODS

LEADERBOARD_COLUMNS = ["rank", "model", "encoder", "scaler", "preprocessor", "fit_seconds", "status"]


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


@main.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="Name of the column to predict.")
@click.option("--task", type=click.Choice(TASKS), help="Default: inferred from the target column.")
@click.option("--metric", type=str, help=f"One of {', '.join(METRIC_NAMES)}. Default: roc_auc, log_loss or rmse.")
@click.option("--time", "time_budget", type=float, help="Wall-clock budget in seconds (default 60 unless --trials).")
@click.option("--trials", "max_trials", type=int, help="Budget as a number of trials (reproducible with --seed).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--search", type=click.Choice(SEARCH_METHODS), default="smac", show_default=True)
@click.option("--resampling", type=click.Choice(["cv", "holdout"]), help="Default: chosen from the data size.")
@click.option("--include", help="Comma-separated component names to keep (per step), e.g. lightgbm,xgboost.")
@click.option("--exclude", help="Comma-separated component names to leave out.")
@click.option("--space-dir", type=click.Path(path_type=Path), help="A folder of your own search-space YAML files.")
@click.option("--out", type=click.Path(path_type=Path), help="Where to write the model (default: DATA's name + .skops).")
@click.option("--top", type=int, default=10, show_default=True, help="Leaderboard rows to print.")
@click.option("-v", "--verbose", is_flag=True, help="Print one line per trial.")
def fit(data, target, task, metric, time_budget, max_trials, seed, search, resampling, include, exclude,
        space_dir, out, top, verbose):
    """Search for the best pipeline for DATA (CSV or Parquet) and save it."""
    from automl.estimators import AutoClassifier, AutoRegressor
    from automl.modelfile import save_model

    _setup_logging(verbose)
    if time_budget is not None and time_budget <= 0:
        raise InputError(f"--time must be a positive number of seconds, got {time_budget:g}.")
    if max_trials is not None and max_trials <= 0:
        raise InputError(f"--trials must be a positive integer, got {max_trials}.")
    if time_budget is None and max_trials is None:
        time_budget = 60.0
    frame = read_table(data)
    X, y = split_target(frame, target)
    inferred = task is None
    task = task or infer_task(y)
    if task == "binary" and y.nunique() > 2:
        raise InputError(f"Task 'binary' was asked but the target has {y.nunique()} classes; use 'multiclass'.")
    estimator_class = AutoRegressor if task == "regression" else AutoClassifier
    model = estimator_class(time_budget=time_budget, max_trials=max_trials, metric=metric, search=search, seed=seed,
                            resampling=resampling, include=_names(include), exclude=_names(exclude),
                            search_space_dir=str(space_dir) if space_dir else None)
    budget = f"{time_budget:g} s" if time_budget else f"{max_trials} trials"
    hint = " (inferred from the target; --task overrides)" if inferred else ""
    click.echo(f"Fitting a {task} model{hint} on {len(X)} rows x {X.shape[1]} columns of {data.name} ({budget})...",
               err=True)
    model.fit(X, y)

    board = model.leaderboard_
    shown = board[LEADERBOARD_COLUMNS[:1] + LEADERBOARD_COLUMNS[1:5] + [model.metric_] + LEADERBOARD_COLUMNS[5:]]
    click.echo(shown.head(top).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    n_failed = int((board["status"] == "failed").sum())
    click.echo(f"\n{model.n_trials_} trials ({n_failed} failed) in {model.fit_seconds_:.1f} s, validated by "
               f"{model.resampling_}; optimizer time {100 * model.optimizer_share_:.1f}% of the search.")
    if model.best_config_ is None:
        click.echo("No trial succeeded: the saved model predicts the training prior. Try a larger --time.")
    else:
        click.echo(f"Best: {model.best_config_['model']} with validation {model.metric_} = {model.best_score_:.4f}.")
    path = save_model(model, out or Path(f"{Path(data.name).name.split('.')[0]}.skops"))
    click.echo(f"Model saved to {path}")


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


if __name__ == "__main__":
    main()
