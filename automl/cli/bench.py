"""``automl bench``: automl and baselines side by side over a manifest or a folder of tables."""

from __future__ import annotations

from pathlib import Path

import click

from automl.cli.common import names, setup_logging
from automl.errors import InputError


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--time", "budget", type=float, default=60.0, show_default=True, help="Seconds per run.")
@click.option("--seeds", default="0", show_default=True, help="Comma-separated split seeds.")
@click.option("--systems", default="automl,random,lgbm_default,xgb_default,catboost_default,rf_default,logreg,dummy", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench-out"), show_default=True)
@click.option("--jobs", type=int, default=1, show_default=True, help="Runs in parallel (each is its own process).")
@click.option("--target", help="Target column, when SOURCE is a folder of CSV/Parquet files.")
@click.option("--metric", help="Override the default metrics (roc_auc, log_loss, rmse).")
@click.option("--only", help="Comma-separated dataset names to run.")
def bench(source, budget, seeds, systems, out, jobs, target, metric, only):
    """Run automl and honest baselines over SOURCE (a manifest CSV or a folder) and write result tables."""
    from automl.bench.runner import run_bench, runs_frame
    from automl.bench.tables import write_report
    from automl.files import check_output_folder
    from automl.manifest import load_datasets

    setup_logging(False)
    check_output_folder(out, what="output folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "runs.jsonl").is_file():
        raise InputError(f"The output folder {out} holds files of its own and no bench runs (runs.jsonl); give a new "
                         "or empty folder, or one an earlier bench wrote.")
    if budget <= 0:
        raise InputError(f"--time must be a positive number of seconds, got {budget:g}.")
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}.")
    try:
        seed_list = tuple(int(s) for s in names(seeds))
    except ValueError:
        raise InputError(f"--seeds must be comma-separated integers, got {seeds!r}.") from None
    datasets = load_datasets(source, target, names(only))
    runs_file = run_bench(datasets, systems=names(systems), seeds=seed_list, budget_s=budget, out=out,
                          metric=metric, jobs=jobs, progress=lambda line: click.echo(line, err=True))
    click.echo(write_report(runs_frame(runs_file), out))
    click.echo(f"\nTables written to {out}/results.md, scores.csv, summary.csv and versus.csv")
